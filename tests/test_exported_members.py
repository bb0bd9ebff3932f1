"""The public API is what ``sla_ledger.__all__`` says, sorted, and all of it exists."""

import sla_ledger


def test_all_is_sorted_and_every_name_exists():
    assert sla_ledger.__all__ == sorted(sla_ledger.__all__)
    for name in sla_ledger.__all__:
        assert getattr(sla_ledger, name) is not None, name


def test_every_public_name_is_exported():
    public = {
        name
        for name, value in vars(sla_ledger).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("sla_ledger.")
    }
    assert public <= set(sla_ledger.__all__)


def test_the_package_ships_type_information():
    from importlib.resources import files

    assert files("sla_ledger").joinpath("py.typed").is_file()
