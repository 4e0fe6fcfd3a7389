"""SBML Level 3 packages in a document the reader is given: ``comp``
(hierarchical models) is flattened into one plain model with libsbml's
CompFlatteningConverter; any other package is refused by name, since its
content (layouts aside, which carry no dynamics) would be dropped silently."""

from __future__ import annotations

import libsbml

from .errors import ModelReadError

# plugins libsbml attaches to every Level 3 Version 2 document: core, not a package
_CORE_PLUGINS = frozenset({"l3v2extendedmath"})
# packages that change nothing in the dynamics: read as if absent
_INERT_PACKAGES = frozenset({"layout", "render"})


def packages(doc: libsbml.SBMLDocument) -> list[str]:
    """The SBML packages the document declares (known to libsbml or not)."""
    names = [doc.getPlugin(i).getPackageName() for i in range(doc.getNumPlugins())]
    known = [n for n in dict.fromkeys(names) if n not in _CORE_PLUGINS and doc.isPackageEnabled(n)]
    unknown = [doc.getUnknownPackagePrefix(i) or doc.getUnknownPackageURI(i)
               for i in range(doc.getNumUnknownPackages())]
    return known + unknown


def resolve_packages(doc: libsbml.SBMLDocument, label: str) -> bool:
    """Flatten a ``comp`` document in place (True when it was flattened);
    a ModelReadError naming any other package the document uses, or a comp
    document that needs files beside it (external model definitions)."""
    used = packages(doc)
    others = [p for p in used if p not in ("comp", *_INERT_PACKAGES)]
    if others:
        raise ModelReadError(f"{label} uses the SBML package(s) {', '.join(others)}, which crn2sbml does not read "
                             "(it would drop their content); give a model in SBML core (comp is flattened)")
    if "comp" not in used:
        return False
    plugin = doc.getPlugin("comp")
    if plugin.getNumExternalModelDefinitions():
        source = plugin.getExternalModelDefinition(0).getSource()
        raise ModelReadError(f"{label} uses comp external model definitions ('{source}'); crn2sbml reads "
                             "self-contained files only: flatten the model first")
    props = libsbml.ConversionProperties()
    props.addOption("flatten comp", True)
    props.addOption("performValidation", False)  # the reader checks what it needs itself
    status = doc.convert(props)
    if status != libsbml.LIBSBML_OPERATION_SUCCESS or doc.getModel() is None:
        errors = [doc.getError(i).getMessage().strip() for i in range(doc.getNumErrors())
                  if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
        why = errors[0].splitlines()[0] if errors else f"libsbml status {status}"
        raise ModelReadError(f"{label}: the comp (hierarchical) model cannot be flattened: {why}")
    return True
