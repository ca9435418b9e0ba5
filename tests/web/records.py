"""Record texts the web tests upload: small, but real enough for the engine to
read a cancer type, grade and receptor results from, with their sources."""

PATHOLOGY = (
    "HISTOPATHOLOGY REPORT\n"
    "Date of report: 12/03/2024\n"
    "Specimen: Left breast core biopsy.\n"
    "Diagnosis: Invasive ductal carcinoma (NST), grade 2.\n"
    "ER positive (Allred 8/8). PR positive. HER2 IHC 3+ (positive).\n"
)
