"""Pure clinical rules, one module per decision, each reading its numbers from the KB.

``RULES`` lists every rule id a Basis can name, in the order the engine applies the
modules; the coverage test checks that the golden cases reach each of them.
"""

from trdnav.record import normalise
from trdnav.rules import adequacy, definitions, outcome, pgx, pgx_guidance, pseudo, safety, scales, staging, timeline

RULES: tuple[str, ...] = (
    normalise.RULE_DOSE_ABOVE_RANGE,
    normalise.RULE_MEDICATION_UNKNOWN,
    normalise.RULE_CONTINUES_INTO_EPISODE,
    normalise.RULE_GENE_NOT_COVERED,
    timeline.RULE_ROLE,
    adequacy.RULE_DOSE,
    adequacy.RULE_COURSE,
    adequacy.RULE_CLINICIAN,
    outcome.RULE_SCALE,
    outcome.RULE_CLINICIAN,
    outcome.RULE_STOP,
    outcome.RULE_TOO_EARLY,
    outcome.RULE_NONE,
    definitions.RULE,
    definitions.RULE_EXCLUDED_DIAGNOSIS,
    definitions.RULE_NO_EPISODE,
    staging.RULE_THASE_RUSH,
    staging.RULE_MGH_S,
    staging.RULE_MSM,
    staging.RULE_OUT_OF_SCOPE,
    scales.RULE,
    scales.RULE_SAFETY_ITEM,
    pseudo.RULE_RECORD,
    pseudo.RULE_TRIALS,
    pgx.RULE_REPORTED,
    pgx.RULE_SCORE,
    pgx.RULE_DIPLOTYPE,
    pgx.RULE_INDETERMINATE,
    pgx.RULE_NOT_COVERED,
    pgx_guidance.RULE_EXPRESSED,
    pgx_guidance.RULE_GUIDANCE,
    pgx_guidance.RULE_NO_GUIDANCE,
    pgx_guidance.RULE_FLAG,
    safety.RULE_INTERACTION,
    safety.RULE_MAOI_LABEL,
    safety.RULE_WASHOUT,
    safety.RULE_DOSE,
    safety.RULE_CONDITION,
    safety.RULE_AGE,
    safety.RULE_LEVEL,
    safety.RULE_CYP,
)
