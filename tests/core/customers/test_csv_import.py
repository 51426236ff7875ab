"""CSV imports as a spreadsheet user sees them: row numbers, reasons, and nothing lost quietly."""

from __future__ import annotations

import io
from decimal import Decimal

from sqlalchemy import select

from core import audit, customers
from core.billing import price_book
from core.customers.csv_import import RowError, import_customers_csv, import_price_book_csv
from core.models import AuditEntry, Customer, PriceBookItem, Service

# As Excel in Argentina exports it: semicolons, UTF-8 with BOM, Spanish headers with accents.
CUSTOMERS_CSV = (
    "\ufeffNombre;Teléfono;Email;Dirección;Localidad;CUIT;Condición IVA;Color favorito\r\n"
    "García, Marta;11 15 5555-0101;marta@ejemplo.com;Av. Avellaneda 2150, 3° B;Flores;"
    "20-31456789-8;Responsable Inscripto;azul\r\n"
    ";11 15 5555-0202;;;;;;\r\n"                                          # row 3: no name
    "Juan Pérez;1234;juan@;;;;;\r\n"                                      # row 4: phone, email
    "Ana Existente;+54 9 11 7777-0000;;;;;;\r\n"                          # row 5: already ours
    "Marta Repetida;+5491155550101;;;;;;\r\n"                             # row 6: dup of row 2
    ";;;;;;;\r\n"                                                         # row 7: blank
    "Lucía Gómez;11 15 6666-0303;;Rivadavia 5000;Caballito;;monotributo;\r\n"
)


def _names(db, org, model=Customer) -> list[str]:
    with db.org_session(org) as s:
        return sorted(s.scalars(select(model.name)))


def _import(db, org, func, source):
    with db.org_session(org) as s:
        return func(s, source, actor="user:1")


def test_customers_csv_imports_good_rows_and_lists_every_bad_one(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        customers.create_customer(s, {"name": "Ana Existente", "phone": "+5491177770000"})

    report = _import(db, org, import_customers_csv, CUSTOMERS_CSV.encode("utf-8"))

    assert report.created == 2
    assert report.rows == 6  # the blank row 7 is not data
    assert report.errors == [
        RowError(3, "Nombre", "Falta el nombre."),
        RowError(4, "Teléfono", "Teléfono inválido: 1234. Escribilo con característica, "
                                "por ej. 11 5555-0101."),
        RowError(4, "Email", "Email inválido: juan@"),
        RowError(5, "Teléfono", "Ya hay un cliente con el teléfono +5491177770000: Ana Existente."),
        RowError(6, "Teléfono", "Teléfono repetido en el archivo: ya está en la fila 2."),
    ]
    assert report.failed_rows == [3, 4, 5, 6]
    assert report.warnings == [
        RowError(1, "Color favorito", "No reconocemos la columna 'Color favorito'; la ignoramos.")]
    assert _names(db, org) == ["Ana Existente", "García, Marta", "Lucía Gómez"]
    with db.org_session(org) as s:
        marta = customers.find_by_phone(s, "+5491155550101")
        assert (marta.email, marta.doc_number, marta.iva_condition) == (
            "marta@ejemplo.com", "20314567898", "responsable_inscripto")
        address = marta.addresses[0]
        assert (address.street, address.number, address.unit, address.locality) == (
            "Av. Avellaneda", "2150", "3° B", "Flores")
        assert audit.verify(s).ok
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "customer.import"))
        assert entry.data == {"rows": 6, "created": 2, "failed_rows": [3, 4, 5, 6]}


def test_comma_delimited_english_headers_with_quoted_commas(db, make_org):
    org = make_org()
    text = ("name,phone,address,dni,iva\n"
            '"Pérez, Juan",+54 9 11 5555-0101,"Rivadavia 5000, PB, Caballito",30.123.456,CF\n'
            'Ana,11 15 5555-0202,"Calle 7 1234",,\n')
    report = _import(db, org, import_customers_csv, io.StringIO(text))
    assert (report.created, report.errors, report.warnings) == (2, [], [])
    with db.org_session(org) as s:
        juan = customers.find_by_phone(s, "5491155550101")
        assert (juan.name, juan.doc_type, juan.doc_number) == ("Pérez, Juan", "dni", "30123456")
        assert juan.addresses[0].one_line == "Rivadavia 5000, PB, Caballito"
        ana = customers.find_by_phone(s, "5491155550202")
        assert (ana.addresses[0].street, ana.addresses[0].number) == ("Calle 7", "1234")


def test_windows_excel_file_in_cp1252_with_sep_line(db, make_org):
    org = make_org()
    data = "sep=;\r\nNombre;Teléfono\r\nMaría Núñez;11 15 5555-0101\r\n;1234\r\n".encode("cp1252")
    report = _import(db, org, import_customers_csv, io.BytesIO(data))
    assert report.created == 1
    # Excel hides the sep= line, so the header is still row 1 and the bad row is row 3.
    assert report.errors == [RowError(3, "Nombre", "Falta el nombre."),
                             RowError(3, "Teléfono", "Teléfono inválido: 1234. Escribilo con "
                                                     "característica, por ej. 11 5555-0101.")]
    assert _names(db, org) == ["María Núñez"]


def test_a_row_with_too_many_cells_is_refused_not_shifted(db, make_org):
    org = make_org()
    text = "nombre,telefono,direccion\nAna,1155550101,Rivadavia 5000, PB\nLuis,1155550202,Lima 1\n"
    report = _import(db, org, import_customers_csv, text)
    assert [(e.row_number, e.field) for e in report.errors] == [(2, "")]
    assert "La fila tiene 4 celdas y el encabezado 3" in report.errors[0].message
    assert _names(db, org) == ["Luis"]


def test_missing_name_column_imports_nothing(db, make_org):
    org = make_org()
    report = _import(db, org, import_customers_csv, "telefono;email\n1155550101;a@b.com\n")
    assert report.created == 0
    assert report.errors == [RowError(1, "nombre", "Falta la columna 'nombre'.")]
    assert _names(db, org) == []


def test_empty_file(db, make_org):
    org = make_org()
    report = _import(db, org, import_customers_csv, b"\xef\xbb\xbf")
    assert (report.created, report.errors) == (0, [RowError(1, "", "El archivo está vacío.")])


def test_locality_without_address_is_a_warning_not_a_silent_drop(db, make_org):
    org = make_org()
    report = _import(db, org, import_customers_csv, "nombre;localidad\nAna Sosa;Flores\n")
    assert report.created == 1
    assert report.warnings == [RowError(2, "dirección", "Hay localidad o provincia pero falta la "
                                        "dirección: no guardamos domicilio para este cliente.")]


def test_import_never_sees_another_organizations_customers(db, make_org):
    a, b = make_org(), make_org()
    with db.org_session(b) as s:
        customers.create_customer(s, {"name": "Marta de B", "phone": "+5491155550101"})
    report = _import(db, a, import_customers_csv, "nombre;telefono\nMarta de A;1155550101\n"
                                                  "Otra;11 15 5555-0101\n")
    # "11 5555-0101" is read as a landline and "11 15 5555-0101" as the mobile: two numbers.
    assert (report.created, report.errors) == (2, [])
    assert _names(db, a) == ["Marta de A", "Otra"]
    assert _names(db, b) == ["Marta de B"]


PRICE_CSV = (
    "Código;Nombre;Precio;Unidad;IVA;Rubro;Proveedor\n"
    "PL-FLEX40;Flexible mallado 40 cm;$ 15.000,50;unidad;21;Plomería;Ferretería Lito\n"
    "PL-CUERITO;Cambio de cuerito;15000.5;servicio;10,5;plomeria;\n"
    "EL-TOMA;Cambio de tomacorriente;quince mil;servicio;;electricidad;\n"   # row 4: price
    "pl-flex40;Flexible repetido;9500;;;;\n"                                 # row 5: dup code
    "VIS-01;Visita ya cargada;35000;visita;;;\n"                             # row 6: existing
    "GAS-01;;70000;;22;jardinería;\n"                                        # row 7: 3 problems
    ";Sin código;1.500;;;;\n"
)


def test_price_book_csv_parses_prices_and_reports_each_problem(db, make_org):
    org = make_org()
    with db.org_session(org) as s:
        price_book.create_item(s, {"code": "VIS-01", "name": "Visita", "price": "35000"})

    report = _import(db, org, import_price_book_csv, PRICE_CSV)

    assert report.created == 3
    assert report.errors == [
        RowError(4, "Precio", "Precio inválido: 'quince mil'. Escribilo como 15000, 15.000 o "
                              "15.000,50."),
        RowError(5, "Código", "Código repetido en el archivo: ya está en la fila 2."),
        RowError(6, "Código", "Ya existe un ítem con el código VIS-01: Visita."),
        RowError(7, "Nombre", "Falta el nombre."),
        RowError(7, "IVA", "Alícuota de IVA inválida: 22. Usá 0, 10,5, 21 o 27."),
        RowError(7, "Rubro", "Rubro desconocido: jardinería. Usá plomería, electricidad, gas, "
                             "climatización, cerrajería u otro."),
    ]
    assert report.warnings == [
        RowError(1, "Proveedor", "No reconocemos la columna 'Proveedor'; la ignoramos.")]
    with db.org_session(org) as s:
        items = {i.name: i for i in price_book.list_items(s)}
        assert sorted(items) == ["Cambio de cuerito", "Flexible mallado 40 cm", "Sin código",
                                 "Visita"]
        flex = items["Flexible mallado 40 cm"]
        assert (flex.price, flex.iva_rate, flex.service) == (Decimal("15000.50"),
                                                             Decimal("21.00"), Service.PLUMBING)
        cuerito = items["Cambio de cuerito"]
        assert (cuerito.price, cuerito.unit, cuerito.iva_rate) == (Decimal("15000.50"), "servicio",
                                                                   Decimal("10.50"))
        assert (items["Sin código"].price, items["Sin código"].code) == (Decimal("1500.00"), None)
        assert audit.verify(s).ok


def test_price_book_csv_needs_name_and_price_columns(db, make_org):
    org = make_org()
    report = _import(db, org, import_price_book_csv, "code,unit\nX,unidad\n")
    assert report.errors == [RowError(1, "nombre", "Falta la columna 'nombre'."),
                             RowError(1, "precio", "Falta la columna 'precio'.")]
    assert _names(db, org, PriceBookItem) == []


def test_price_book_import_is_per_organization(db, make_org):
    a, b = make_org(), make_org()
    with db.org_session(b) as s:
        price_book.create_item(s, {"code": "PL-FLEX40", "name": "Flexible de B", "price": "1"})
    report = _import(db, a, import_price_book_csv,
                     "code,name,price\nPL-FLEX40,Flexible de A,9500\n")
    assert (report.created, report.errors) == (1, [])
    assert _names(db, a, PriceBookItem) == ["Flexible de A"]
    assert _names(db, b, PriceBookItem) == ["Flexible de B"]


def test_a_database_error_on_one_row_keeps_the_others(pg_db, postgresql_proc):
    """A row the database refuses after the customer was inserted (a trigger on its audit entry)
    rolls back whole and alone: no customer without its audit entry, and the other rows stay."""
    from tests.conftest import superuser
    from tests.factories import create_org

    org = create_org(pg_db, "Org", "org-db-error")
    with superuser(postgresql_proc) as conn:
        conn.execute("CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN "
                     "IF NEW.data->>'name' = 'Boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; "
                     "END $$ LANGUAGE plpgsql")
        conn.execute("CREATE TRIGGER refuse_boom BEFORE INSERT ON audit_entries "
                     "FOR EACH ROW EXECUTE FUNCTION refuse_boom()")
    try:
        report = _import(pg_db, org, import_customers_csv,
                         "nombre;telefono\nAna;1155550101\nBoom;1155550202\nLuis;1155550303\n")
    finally:
        with superuser(postgresql_proc) as conn:
            conn.execute("DROP TRIGGER refuse_boom ON audit_entries")
            conn.execute("DROP FUNCTION refuse_boom()")
    assert report.created == 2
    assert report.errors == [RowError(3, "", "No pudimos guardar esta fila (error de la base de "
                                              "datos).")]
    assert _names(pg_db, org) == ["Ana", "Luis"]
    with pg_db.org_session(org) as s:
        assert audit.verify(s).ok
