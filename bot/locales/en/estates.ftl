# Estates (小区): the estate of each building, and coverage per estate over time.

digest-estates-title = • By estate (with a head/buildings; last { $weeks } weeks, ▁ none … █ all):
digest-estate-line = { "  " }{ $estate } { $covered }/{ $total } { $trend }
digest-estate-none = No estate
estate-too-long = Please keep the estate's name under { $max } characters.
buildings-col-estate = Estate
buildings-estate-save = Save
buildings-estate-saved = Saved.
buildings-estate-placeholder = e.g. Cuihu Garden
numbers-estates = Head coverage by estate
numbers-estates-explained = Buildings with a head / buildings, counted each week. Buildings without an estate are one line.
numbers-estates-now = This week
import-bad-estate = Line { $line } of the CSV file: the estate's name is over { $max } characters.
