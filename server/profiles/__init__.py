"""Tenant profiles: load, validate and export the YAML documents that configure a tenant.

A profile is a folder of YAML documents (policies/profiles/<name>/, like a GenericSetup profile).
Import validates everything before anything is written, and reports every problem at once, so
an author fixes a profile in one pass instead of one error per upload. Each problem is data
(`Problem`: document, path, message, code); `<document>: <path>: <message>` is how people read it.

Where things are:

- `documents/`: one module per document kind (workflow.yaml, deadlines.yaml, ...), holding its
  pydantic model (the document's shape), its `check` (what it says about other documents, read
  with the helpers of `crosscheck`) and its `build` (the `Profile` fields it gives). The
  registry `documents.KINDS` lists them; the builder and the reports follow its order.
- `builder`: validates every kind, runs the checks, builds the `Profile` (`runtime`) or raises
  `ProfileInvalidError` with the problems; `files` reads and writes profile folders.
- `validators` (values several documents share), `catalogue` (the base policy, policy.csv),
  `shape` (pydantic's errors as problems), `problems`.

Adding a document kind, e.g. `surveys.yaml`:

1. write `documents/surveys.py`::

       class SurveysDoc(Document):
           after_days: Annotated[int, Field(ge=1)] = 7

       def build(doc: SurveysDoc) -> Mapping[str, Any]:
           return {"survey_after_days": doc.after_days}

       KIND = DocumentKind("surveys.yaml", SurveysDoc, build, required=False)

   with a `check(raw)` if it names things other documents define (e.g. `grades.names(raw)`);
2. add `surveys.KIND` to `documents.KINDS`, and the fields `build` gives to `runtime.Profile`.
"""

from server.profiles.builder import parse_profile
from server.profiles.catalogue import PLATFORM_ROLES, Catalogue, base_catalogue
from server.profiles.documents import DOCUMENTS, OPTIONAL_DOCUMENTS
from server.profiles.files import (
    bundled_profile_path,
    export_profile,
    load_profile_dir,
    read_profile_dir,
)
from server.profiles.problems import Problem, ProblemCode, ProfileInvalidError
from server.profiles.runtime import (
    DEFAULT_NOTIFY,
    EVENTS,
    Action,
    Category,
    Channel,
    ClockRule,
    ClockTarget,
    Grade,
    OrderType,
    Profile,
    Recipient,
    Tier,
)

__all__ = [
    "DEFAULT_NOTIFY",
    "DOCUMENTS",
    "EVENTS",
    "OPTIONAL_DOCUMENTS",
    "PLATFORM_ROLES",
    "Action",
    "Catalogue",
    "Category",
    "Channel",
    "ClockRule",
    "ClockTarget",
    "Grade",
    "OrderType",
    "Problem",
    "ProblemCode",
    "Profile",
    "ProfileInvalidError",
    "Recipient",
    "Tier",
    "base_catalogue",
    "bundled_profile_path",
    "export_profile",
    "load_profile_dir",
    "parse_profile",
    "read_profile_dir",
]
