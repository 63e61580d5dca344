"""Counts in sentences that agree in number ("1 row was", "2 rows were")."""


def counted(n, noun):
    """counted(1, "row") -> "1 row"; counted(2, "row") -> "2 rows"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def were(n):
    return "was" if n == 1 else "were"


def size_words(size):
    """1536 -> "1.5 KB": a file's size as a person reads it."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{round(size / factor, 1):g} {unit}"
    return counted(size, "byte")
