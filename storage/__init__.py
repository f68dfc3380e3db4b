"""Persistence: the schema, migrations and one repository per aggregate. Nothing above this
package writes SQL; repositories never commit (the service's unit of work does)."""
