"""The case pack sent to a reviewing team abroad (issue 11, part 3): the summary in
English and Chinese, the FHIR bundle and every original page, redacted, with a
manifest of what is in it and its hashes (build.py); the redacted pages
(pages.py) and their PDF (pdf.py)."""
