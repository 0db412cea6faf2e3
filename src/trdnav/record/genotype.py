"""Pharmacogenetic results as labs report them: star-allele diplotypes, activity scores,
phenotype terms. Parses and checks them; the PGx rule interprets them.

Diplotype grammar (PharmVar / CPIC notation)::

    diplotype  := [GENE] haplotype "/" haplotype
    haplotype  := part ("+" part)*                    # *36+*10 : a tandem / hybrid arrangement
    part       := allele [copies]                      # *36x2+*10 : copies of one part
    allele     := "*" digits [letters | "." digits]    # *1, *2A, *4.001
    copies     := ("x" | "×") (digits | "N" | "≥" digits)   # *1x2, *2xN, *1x≥3
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PART = re.compile(r"^(?P<allele>\*\d+(?:[A-Z]+|\.\d+)?)(?:[x×](?P<copies>\d+|N|≥\d+))?$")


@dataclass(frozen=True)
class Part:
    allele: str
    # None: one copy; "2", "3": counted copies; "≥3": at least; "N": more than one, not counted
    copies: str | None

    def __str__(self) -> str:
        return self.allele + (f"x{self.copies}" if self.copies else "")


@dataclass(frozen=True)
class Haplotype:
    parts: tuple[Part, ...]

    @property
    def uncounted(self) -> bool:
        return any(p.copies == "N" for p in self.parts)

    def __str__(self) -> str:
        return "+".join(str(p) for p in self.parts)


@dataclass(frozen=True)
class Diplotype:
    first: Haplotype
    second: Haplotype

    def __str__(self) -> str:
        return f"{self.first}/{self.second}"


def parse_diplotype(text: str, gene: str) -> Diplotype | None:
    """The diplotype, or None when the text is not one. A leading gene name is allowed."""
    cleaned = "".join(text.split())
    if cleaned.upper().startswith(gene.upper()):
        cleaned = cleaned[len(gene) :]
    halves = cleaned.split("/")
    if len(halves) != 2:
        return None
    parsed = []
    for half in halves:
        parts = []
        for piece in half.split("+"):
            match = PART.match(piece)
            if match is None:
                return None
            parts.append(Part(match.group("allele"), match.group("copies")))
        parsed.append(Haplotype(tuple(parts)))
    return Diplotype(parsed[0], parsed[1])


def phenotype_key(text: str, gene: str) -> str:
    """A lab's phenotype text without the gene name ('CYP2C19 poor metabolizer')."""
    words = text.replace("_", " ").split()
    return " ".join(w for w in words if w.upper() != gene.upper())
