"""The outside departments a community forwards work to (the whistle, 吹哨): the street office,
the 12345 hotline, the property company, the utilities. A community may replace the list in its
settings (``settings["whistle_departments"]``: a list of {"code", "names"}); ``DepartmentSpec``
is the schema of one entry. A department is shown by its name in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from bot.services.categories import LANGUAGES, Code
from bot.services.setting_errors import describe_error, warn_invalid

# The choice is a keyboard on the ticket's card, one department to a row: a short list.
MAX_DEPARTMENTS = 12
Name = Annotated[str, Field(min_length=1, max_length=40)]


@dataclass(frozen=True, slots=True)
class Department:
    code: str
    names: tuple[tuple[str, str], ...]

    def name(self, language: str) -> str:
        return name_in(dict(self.names), language, self.code)


def name_in(names: Mapping[str, str], language: str, fallback: str) -> str:
    """A department's name in ``language``, else in another language, else its code (a work
    order keeps the names its department had when it was forwarded)."""
    return names.get(language) or next(iter(names.values()), "") or fallback


DEFAULT_DEPARTMENTS: tuple[Department, ...] = (
    Department("street_office", (("en", "Street office"), ("zh-hans", "街道办事处"))),
    Department("hotline_12345", (("en", "12345 citizen hotline"), ("zh-hans", "12345 市民热线"))),
    Department("property", (("en", "Property management company"), ("zh-hans", "物业公司"))),
    Department("utility", (("en", "Water, power and gas utility"), ("zh-hans", "水电燃气公司"))),
)


class DepartmentSpec(BaseModel):
    """One department as the office writes it in the ``whistle_departments`` setting."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Code
    names: dict[Literal["zh-hans", "en"], Name]

    def department(self) -> Department:
        return Department(self.code, tuple(sorted(self.names.items())))


def _named(spec: DepartmentSpec) -> DepartmentSpec:
    if set(spec.names) != set(LANGUAGES):
        raise ValueError(
            f"the department {spec.code} needs names in zh-hans and en, e.g. "
            '"names": {"zh-hans": "街道办事处", "en": "Street office"}'
        )
    return spec


def _unique(specs: list[DepartmentSpec]) -> list[DepartmentSpec]:
    seen: set[str] = set()
    for spec in specs:
        if spec.code in seen:
            raise ValueError(f"the code {spec.code} is used twice")
        seen.add(spec.code)
    return specs


NamedSpec = Annotated[DepartmentSpec, AfterValidator(_named)]
DepartmentList = Annotated[
    list[NamedSpec], Field(min_length=1, max_length=MAX_DEPARTMENTS), AfterValidator(_unique)
]
DEPARTMENT_LIST: TypeAdapter[list[DepartmentSpec]] = TypeAdapter(DepartmentList)


def spec_of(department: Department) -> dict[str, Any]:
    return {"code": department.code, "names": dict(department.names)}


def departments_for(settings: Mapping[str, Any]) -> Sequence[Department]:
    """A community's departments. A stored value that does not validate is read as the default
    list (logged once), so a bad setting never stops the office from forwarding."""
    raw = settings.get("whistle_departments")
    if raw is None:
        return DEFAULT_DEPARTMENTS
    try:
        return tuple(spec.department() for spec in DEPARTMENT_LIST.validate_python(raw))
    except ValidationError as error:
        warn_invalid("whistle_departments", raw, describe_error(error))
        return DEFAULT_DEPARTMENTS


def find_department(settings: Mapping[str, Any], code: str) -> Department | None:
    return next((d for d in departments_for(settings) if d.code == code), None)
