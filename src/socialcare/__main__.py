"""``python -m socialcare``: the same as the ``socialcare`` command."""

from socialcare.cli import main_entry

if __name__ == "__main__":
    main_entry()
