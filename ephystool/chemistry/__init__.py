"""Solution chemistry: Mg salts, free-ion speciation of aCSF, experimental designs and Mg-block predictions.

Submodules: :mod:`.constants` (the one cited constants table), :mod:`.salts` (molar masses from atomic
weights), :mod:`.acsf` (bath recipes), :mod:`.speciation` (mass-balance solver), :mod:`.designs`
(conditions, free-ion tables, weighing plans), :mod:`.block` (Jahr-Stevens predictions).
"""

from ephystool.chemistry.acsf import ACSF, hepes_saline, standard_acsf
from ephystool.chemistry.block import (
    mg_block_fraction,
    nmda_ratio_vs_control,
    rectification_index,
    woodhull_delta,
)
from ephystool.chemistry.designs import (
    CONDITIONS,
    DEFAULT_SALT_FORMS,
    DESIGNS,
    FormMass,
    SolutionPlan,
    acute_added,
    acute_equal_total,
    chronic_oral,
    condition_acsf,
    condition_bath,
    free_ions_table,
    reference_condition,
    solution_plan,
)
from ephystool.chemistry.salts import SALT_FAMILIES, SALTS, Salt, get_salt
from ephystool.chemistry.speciation import Speciation, speciate

__all__ = [
    "ACSF", "standard_acsf", "hepes_saline",
    "Salt", "SALTS", "SALT_FAMILIES", "get_salt",
    "Speciation", "speciate",
    "DESIGNS", "CONDITIONS", "DEFAULT_SALT_FORMS", "acute_equal_total", "acute_added", "chronic_oral",
    "condition_acsf", "condition_bath", "free_ions_table", "reference_condition",
    "SolutionPlan", "FormMass", "solution_plan",
    "mg_block_fraction", "woodhull_delta", "rectification_index", "nmda_ratio_vs_control",
]
