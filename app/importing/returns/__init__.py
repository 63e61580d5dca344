"""Customer returns (seed 004, RET-1) in their own XML format: reading (reading.py), the
rules per topic (references, header and numbering, details, texts, status), writing
through the batch mechanism (job.py) and export (export.py).

One return at a time, in two steps: `plan` reads the return's elements, resolves every
reference and checks every rule, collecting the messages (info, warning, error) with the
element path; only when the return has no error does `apply` write it. So a return with
an error is not written at all (the stored return, if any, stays as it was) and counts as
rejected; a return with warnings or infos only counts as accepted. rows = returns read =
accepted + rejected.

Decisions where the seed is silent (README "Customer returns"):
- A detail is deleted with the attribute action="delete" on its Details element, found by
  its guid or number: `<Details action="delete"><number>20</number></Details>`.
- Numbers: an imported number is kept; when it lies in the type's number range at or past
  the next number, the range moves past it, so it is never assigned again. A return
  without a number gets prefix + next number of the type's range.
- A guid that matches nothing is an error, unless the functional key (type + number for a
  return, number for a detail) is given too and matches nothing either: then the return
  (detail) is created with that guid, so that an exported file re-imports with its ids.
- Header status: applies only when the return has no details after the import; with
  details the header status follows them (all active details in one status: that status;
  mixed: in preparation).
- Detail numbers are optional: a new detail without one gets the highest number + 10.
- autoRelease: the header is written with status Invalid first; the return is released
  (header and active details) when its import had no error, else it is not written and
  a warning says it was not released.
"""
