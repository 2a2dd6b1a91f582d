"""The elements of the FHIR resources the reader reads (R4, with the STU3 and R5 names it also reads), so that
a misspelt element (``verificationstatus``, ``birthdate``) is named in a note instead of being dropped without a
word. Element names from the FHIR R4 specification (https://hl7.org/fhir/R4/), its STU3 predecessor
(https://hl7.org/fhir/STU3/) and, for the medications, R5 (https://hl7.org/fhir/R5/). Data only."""

from __future__ import annotations

from typing import Final

# every resource: Resource and DomainResource (and fhir_comments, which STU3 JSON allowed)
_BASE = ("resourceType", "id", "meta", "implicitRules", "language", "text", "contained", "extension",
         "modifierExtension", "fhir_comments")

_ELEMENTS: Final[dict[str, tuple[str, ...]]] = {
    "Bundle": ("identifier", "type", "timestamp", "total", "link", "entry", "signature"),
    "Patient": ("identifier", "active", "name", "telecom", "gender", "birthDate", "deceasedBoolean",
                "deceasedDateTime", "address", "maritalStatus", "multipleBirthBoolean", "multipleBirthInteger",
                "photo", "contact", "communication", "generalPractitioner", "managingOrganization", "link",
                "animal"),
    "Observation": ("identifier", "basedOn", "partOf", "status", "category", "code", "subject", "focus",
                    "encounter", "effectiveDateTime", "effectivePeriod", "effectiveTiming", "effectiveInstant",
                    "issued", "performer", "valueQuantity", "valueCodeableConcept", "valueString", "valueBoolean",
                    "valueInteger", "valueRange", "valueRatio", "valueSampledData", "valueTime", "valueDateTime",
                    "valuePeriod", "valueAttachment", "dataAbsentReason", "interpretation", "note", "comment",
                    "bodySite", "method", "specimen", "device", "referenceRange", "hasMember", "derivedFrom",
                    "related", "component", "context"),
    "Condition": ("identifier", "clinicalStatus", "verificationStatus", "category", "severity", "code", "bodySite",
                  "subject", "encounter", "context", "onsetDateTime", "onsetAge", "onsetPeriod", "onsetRange",
                  "onsetString", "abatementDateTime", "abatementAge", "abatementPeriod", "abatementRange",
                  "abatementString", "abatementBoolean", "recordedDate", "assertedDate", "recorder", "asserter",
                  "stage", "evidence", "note"),
    "Procedure": ("identifier", "instantiatesCanonical", "instantiatesUri", "definition", "basedOn", "partOf",
                  "status", "statusReason", "notDone", "notDoneReason", "category", "code", "subject", "encounter",
                  "context", "performedDateTime", "performedPeriod", "performedString", "performedAge",
                  "performedRange", "recorder", "asserter", "performer", "location", "reasonCode",
                  "reasonReference", "bodySite", "outcome", "report", "complication", "complicationDetail",
                  "followUp", "note", "focalDevice", "usedReference", "usedCode"),
    "DiagnosticReport": ("identifier", "basedOn", "status", "category", "code", "subject", "encounter", "context",
                         "effectiveDateTime", "effectivePeriod", "issued", "performer", "resultsInterpreter",
                         "specimen", "result", "imagingStudy", "media", "image", "conclusion", "conclusionCode",
                         "codedDiagnosis", "presentedForm"),
    "ImagingStudy": ("identifier", "uid", "accession", "status", "availability", "modality", "modalityList",
                     "subject", "patient", "encounter", "context", "started", "basedOn", "referrer", "interpreter",
                     "endpoint", "numberOfSeries", "numberOfInstances", "procedureReference", "procedureCode",
                     "location", "reason", "reasonCode", "reasonReference", "note", "description", "series"),
    "FamilyMemberHistory": ("identifier", "instantiatesCanonical", "instantiatesUri", "definition", "status",
                            "notDone", "notDoneReason", "dataAbsentReason", "patient", "date", "name",
                            "relationship", "sex", "gender", "bornPeriod", "bornDate", "bornString", "ageAge",
                            "ageRange", "ageString", "estimatedAge", "deceasedBoolean", "deceasedAge", "deceasedRange",
                            "deceasedDate", "deceasedString", "reasonCode", "reasonReference", "note", "condition"),
    "Medication": ("identifier", "code", "status", "isBrand", "isOverTheCounter", "manufacturer", "form", "amount",
                   "ingredient", "package", "image", "batch"),
    "MedicationStatement": ("identifier", "basedOn", "partOf", "status", "statusReason", "category",
                            "medicationCodeableConcept", "medicationReference", "medication", "subject", "encounter",
                            "context", "effectiveDateTime", "effectivePeriod", "effectiveTiming", "dateAsserted",
                            "informationSource", "derivedFrom", "reasonCode", "reasonReference", "reason", "note",
                            "dosage", "taken", "reasonNotTaken", "adherence", "relatedClinicalInformation"),
    "MedicationRequest": ("identifier", "status", "statusReason", "statusChanged", "intent", "category", "priority",
                          "doNotPerform", "reportedBoolean", "reportedReference", "reported", "informationSource",
                          "medicationCodeableConcept", "medicationReference", "medication", "subject", "encounter",
                          "context", "supportingInformation", "authoredOn", "requester", "performer", "performerType",
                          "recorder", "reasonCode", "reasonReference", "reason", "instantiatesCanonical",
                          "instantiatesUri", "definition", "basedOn", "groupIdentifier", "courseOfTherapyType",
                          "insurance", "note", "renderedDosageInstruction", "effectiveDosePeriod",
                          "dosageInstruction", "dispenseRequest", "substitution", "priorPrescription", "device",
                          "detectedIssue", "eventHistory"),
    "MedicationAdministration": ("identifier", "instantiates", "basedOn", "definition", "partOf", "status",
                                 "statusReason", "category", "medicationCodeableConcept", "medicationReference",
                                 "medication", "subject", "encounter", "context", "supportingInformation",
                                 "effectiveDateTime", "effectivePeriod", "occurenceDateTime", "occurencePeriod",
                                 "occurenceTiming", "recorded", "isSubPotent", "subPotentReason", "performer",
                                 "reasonCode", "reasonReference", "reason", "request", "prescription", "device",
                                 "note", "dosage", "eventHistory", "notGiven", "reasonNotGiven"),
    "MedicationDispense": ("identifier", "basedOn", "partOf", "status", "statusReasonCodeableConcept",
                           "statusReasonReference", "statusReason", "statusChanged", "notDone", "notDoneReason",
                           "category", "medicationCodeableConcept", "medicationReference", "medication", "subject",
                           "encounter", "context", "supportingInformation", "performer", "location",
                           "authorizingPrescription", "type", "quantity", "daysSupply", "recorded", "whenPrepared",
                           "whenHandedOver", "destination", "receiver", "note", "renderedDosageInstruction",
                           "dosageInstruction", "substitution", "detectedIssue", "eventHistory"),
}

ELEMENTS: Final[dict[str, frozenset[str]]] = {kind: frozenset((*_BASE, *names)) for kind, names in _ELEMENTS.items()}


def _fold(name: str) -> str:
    return name.replace("_", "").replace("-", "").casefold()


# each type's elements by their folded spelling, for the one a misspelt key likely meant
_FOLDED: Final[dict[str, dict[str, str]]] = {kind: {_fold(name): name for name in names}
                                             for kind, names in ELEMENTS.items()}


def unknown_elements(resource: dict[str, object]) -> list[tuple[str, str | None]]:
    """The keys of a resource that are no element of its type, each with the element it was likely meant to be
    (a spelling that differs only in case or in underscores and hyphens), or None. A key starting with "_" holds
    a primitive element's id and extensions: it is known when the element is."""
    kind = str(resource.get("resourceType"))
    known = ELEMENTS.get(kind)
    if known is None:
        return []
    folded = _FOLDED[kind]
    found: list[tuple[str, str | None]] = []
    for key in resource:
        name = key[1:] if isinstance(key, str) and key.startswith("_") else key
        if name in known:
            continue
        found.append((str(key), folded.get(_fold(str(name)))))
    return found



# The elements FHIR R4 repeats (0..*) that the reader reads as lists, by resource type, and inside the backbone
# elements it reads (an Observation's component, a medication's dosage). One given as a single JSON object, as some
# converters write a list of one and STU3 wrote an Observation's interpretation, is read as a list of one, and said:
# it was dropped without a word (robustness round 89: an interpretation NEG so written read its finding present, a
# dosageInstruction's topical route a systemic exposure). A CodeableConcept's ``coding`` anywhere is one of them.
REPEATING: Final[dict[str, tuple[str, ...]]] = {
    "Observation": ("interpretation", "note", "focus", "referenceRange", "component", "contained"),
    "Condition": ("note", "contained"),
    "Procedure": ("note", "contained"),
    "DiagnosticReport": ("conclusionCode", "codedDiagnosis", "result", "contained"),
    "ImagingStudy": ("series", "procedureCode", "note", "contained"),
    "FamilyMemberHistory": ("condition", "note", "contained"),
    "MedicationStatement": ("dosage", "note", "contained"),
    "MedicationRequest": ("dosageInstruction", "note", "contained"),
    "MedicationDispense": ("dosageInstruction", "note", "contained"),
    "MedicationAdministration": ("note", "contained"),
    "Medication": ("contained",),
    "Patient": ("identifier", "link", "contained"),
}
REPEATING_INSIDE: Final[dict[str, tuple[str, ...]]] = {
    "component": ("interpretation", "referenceRange"),
    "dosage": ("doseAndRate",),
    "dosageInstruction": ("doseAndRate",),
}
