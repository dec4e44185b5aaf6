"""Custom data elements hold typed local values on clients, enrollments and assessments."""
from datetime import date
from decimal import Decimal

import pytest

from hmis.custom_data import CustomDataError, define_element, set_value, values_for
from hmis.extensions import db
from hmis.models import Client, DataSource


@pytest.fixture
def client_id(app):
    source = DataSource(key="local", name="This HMIS")
    db.session.add(source)
    db.session.flush()
    client = Client(data_source_id=source.id, personal_id="C1", first_name="Ana")
    db.session.add(client)
    db.session.flush()
    return client.id


def test_typed_values_round_trip(client_id):
    define_element("pets", "Number of pets", "client", "integer")
    define_element("pet_deposit", "Pet deposit", "client", "decimal")
    define_element("moved_city", "Date moved to the city", "client", "date")
    define_element("has_car", "Sleeps in a car", "client", "boolean")
    define_element("languages", "Languages spoken", "client", "string", repeats=True)
    define_element("sex_at_intake", "Sex (local copy)", "client", "choice", code_list="4.21")
    set_value("pets", client_id, 2)
    set_value("pets", client_id, "3")  # replaces
    set_value("pet_deposit", client_id, "150.50")
    set_value("moved_city", client_id, "2024-05-01")
    set_value("has_car", client_id, True)
    set_value("languages", client_id, "Spanish")
    set_value("languages", client_id, "K'iche'")
    set_value("sex_at_intake", client_id, 1)
    db.session.commit()
    assert values_for("client", client_id) == {
        "pets": 3, "pet_deposit": Decimal("150.50"), "moved_city": date(2024, 5, 1), "has_car": True,
        "languages": ["Spanish", "K'iche'"], "sex_at_intake": 1}


@pytest.mark.parametrize("key, kind, value, message", [
    ("pets", "integer", "two", "is not a integer"),
    ("pets", "integer", True, "is not a integer"),
    ("flag", "boolean", "yes", "is not a boolean"),
    ("moved", "date", "2024-02-30", "is not a date"),
    ("sex", "choice", 5, "not a code of list 4.21"),
])
def test_bad_values_are_refused(client_id, key, kind, value, message):
    define_element(key, key, "client", kind, code_list="4.21" if kind == "choice" else None)
    with pytest.raises(CustomDataError, match=message):
        set_value(key, client_id, value)


def test_bad_definitions_are_refused(app):
    with pytest.raises(CustomDataError, match="owner must be one of"):
        define_element("x", "x", "household", "string")
    with pytest.raises(CustomDataError, match="no code list"):
        define_element("y", "y", "client", "choice", code_list="9.99")
    define_element("z", "z", "client", "string")
    with pytest.raises(CustomDataError, match="already exists"):
        define_element("z", "z", "client", "string")


def test_values_need_an_existing_owner(app):
    define_element("pets", "Pets", "enrollment", "integer")
    with pytest.raises(CustomDataError, match="there is no enrollment 999"):
        set_value("pets", 999, 1)
