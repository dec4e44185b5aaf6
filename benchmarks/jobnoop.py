"""The baseline's job: nothing to import, nothing to do."""


def noop(number: int) -> int:
    return number
