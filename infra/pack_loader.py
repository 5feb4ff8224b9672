"""Pack loading: reads pack directories into validated definitions.

Pure file reading and validation; turning the result into Register* commands is the
bootstrap's job. Every problem names its file and, whenever known, its line, so a pack author
can go straight to it. One bad component file does not stop the rest of its pack, and one bad
pack does not stop the others; only a missing or invalid ``pack.yaml`` fails a whole pack.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from attune.domain.config_secrets import misplaced_secrets
from attune.domain.definitions import (
    ActionDefinition,
    PackDefinition,
    RuleDefinition,
    TriggerTypeDefinition,
    registering,
)
from attune.domain.errors import InvalidParameters
from attune.domain.expressions import DEFAULT_LIMITS, Limits
from attune.domain.parameters import validate_parameters
from attune.domain.rule_checks import rule_problems
from attune.domain.workflows.definition import parse_workflow, problems_of
from attune.domain.workflows.model import Workflow
from attune.domain.workflows.problems import InvalidWorkflow, Problem, shown

PACK_FILE = "pack.yaml"
CONFIG_SCHEMA_FILE = "config.schema.yaml"
ACTIONS_DIR = "actions"
TRIGGERS_DIR = "triggers"
RULES_DIR = "rules"
_YAML_SUFFIXES = (".yaml", ".yml")

# Every definition the loader reads has a `ref`; a constrained type variable lets it say so.
D = TypeVar("D", PackDefinition, ActionDefinition, TriggerTypeDefinition, RuleDefinition)
Loc = Sequence[str | int]


def _shown(path: Path) -> str:
    """The path as people should read it: relative to the current directory when inside it."""
    absolute = path.resolve()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


@dataclass(frozen=True)
class PackProblem:
    """Why one pack file, or one field of it, was not loaded."""

    file: Path
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = _shown(self.file) if self.line is None else f"{_shown(self.file)}:{self.line}"
        return f"{where}: {self.message}"


class PackLoadError(Exception):
    """A pack file could not be loaded; `load_pack` raises it when that file is ``pack.yaml``."""

    def __init__(self, problems: list[PackProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))


@dataclass
class LoadedPack:
    """A pack's definitions as read from its directory, and the component files that failed."""

    directory: Path
    pack: PackDefinition
    actions: list[ActionDefinition] = field(default_factory=list)
    trigger_types: list[TriggerTypeDefinition] = field(default_factory=list)
    rules: list[RuleDefinition] = field(default_factory=list)
    problems: list[PackProblem] = field(default_factory=list)
    # The file each component was read from, by ref (so a later check can name its lines).
    sources: dict[str, YamlDocument] = field(default_factory=dict, repr=False)
    # Its configuration values from `configs/<pack>.yaml`, checked (None: no such file).
    config: dict[str, Any] | None = None


def entry_point_path(pack_directory: Path, entry_point: str) -> Path:
    """Where an action's entry point lives: definitions keep it relative to ``actions/``."""
    return pack_directory / ACTIONS_DIR / entry_point


def entry_point_locator(packs: Iterable[LoadedPack], where: str) -> Callable[[str, str], Path]:
    """Where the entry points of `packs` live, for a worker; a pack not among them is a
    `LookupError` saying it is not installed `where` ("here", "in this worker's ...")."""
    directories = {pack.pack.ref: pack.directory for pack in packs}

    def locate(pack: str, entry_point: str) -> Path:
        if pack not in directories:
            raise LookupError(f"pack '{pack}' is not installed {where}")
        return entry_point_path(directories[pack], entry_point)

    return locate


def shipped_packs_root() -> Path:
    """The directory holding the packs shipped with Attune (``core``, ``examples``)."""
    root = resources.files("attune.packs")
    if not isinstance(root, Path):
        # Workers run entry points as files, so the packs must be real files, not zip members.
        raise RuntimeError(f"attune.packs is not installed as plain files ({root})")
    return root


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file and its node tree, which knows the line of every key."""

    file: Path
    data: Any
    root: Any  # a yaml.Node

    def line_of(self, loc: Loc) -> int:
        """The line of the deepest key along `loc` that the file has (the nearest known)."""
        node = self.root
        line: int = node.start_mark.line + 1
        for part in loc:
            found = _child(node, part)
            if found is None:
                break
            line, node = found
        return line

    def problem(self, message: str, loc: Loc = ()) -> PackProblem:
        text = f"field '{'.'.join(map(str, loc))}': {message}" if loc else message
        return PackProblem(self.file, text, self.line_of(loc))


def _child(node: Any, part: str | int) -> tuple[int, Any] | None:
    """The line and node of one key (or list item) below `node`, if the file has it."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key.start_mark.line + 1, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item = node.value[part]
        return item.start_mark.line + 1, item
    return None


def read_yaml_file(file: Path) -> YamlDocument:
    """Parse one YAML file that must hold a mapping."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PackLoadError([PackProblem(file, f"cannot read: {error}")]) from error
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = None if root is None else loader.construct_document(root)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = ", ".join(filter(None, [error.context, error.problem]))
        line = None if mark is None else mark.line + 1
        raise PackLoadError([PackProblem(file, message, line)]) from error
    except yaml.YAMLError as error:
        raise PackLoadError([PackProblem(file, str(error))]) from error
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        line = None if root is None else root.start_mark.line + 1
        raise PackLoadError(
            [PackProblem(file, f"expected a mapping of fields, found {found}", line)]
        )
    return YamlDocument(file, data, root)


def _validated(
    document: YamlDocument, kind: type[D], fields: dict[str, Any], limits: Limits = DEFAULT_LIMITS
) -> D:
    try:
        return kind.model_validate(fields, context=registering(limits))
    except ValidationError as error:
        raise PackLoadError(
            [
                document.problem(e["msg"].removeprefix("Value error, "), e["loc"])
                for e in error.errors()
            ]
        ) from error


def _read_pack_file(directory: Path) -> PackDefinition:
    """The pack's definition: its pack.yaml, and its config.schema.yaml if it has one."""
    file = directory / PACK_FILE
    if not file.is_file():
        raise PackLoadError([PackProblem(file, "missing: every pack directory needs a pack.yaml")])
    document = read_yaml_file(file)
    schema_file = directory / CONFIG_SCHEMA_FILE
    if not schema_file.is_file():
        return _validated(document, PackDefinition, document.data)
    if "config_schema" in document.data:
        message = f"the config schema is given twice: here and in {CONFIG_SCHEMA_FILE}"
        raise PackLoadError([document.problem(message, ["config_schema"])])
    schema = read_yaml_file(schema_file)
    try:
        return PackDefinition.model_validate({**document.data, "config_schema": schema.data})
    except ValidationError as error:
        raise PackLoadError(
            [
                schema.problem(e["msg"], e["loc"][1:])
                if e["loc"][:1] == ("config_schema",)
                else document.problem(e["msg"], e["loc"])
                for e in error.errors()
            ]
        ) from error


def _read_config(loaded: LoadedPack, directories: Iterable[Path]) -> None:
    """The pack's values from the first ``<pack>.yaml`` in `directories`, checked against
    its config schema; a file that does not fit is a problem naming its lines, and the
    pack keeps the configuration it has."""
    ref = loaded.pack.ref
    file = next((d / f"{ref}.yaml" for d in directories if (d / f"{ref}.yaml").is_file()), None)
    if file is None:
        return
    try:
        document = read_yaml_file(file)
        validate_parameters(f"pack {ref} config", loaded.pack.config_schema, document.data)
    except PackLoadError as error:
        loaded.problems.extend(error.problems)
    except InvalidParameters as refused:
        loaded.problems.extend(document.problem(p.message, [p.parameter]) for p in refused.problems)
    else:
        loaded.config = document.data


def _read_component(
    file: Path, kind: type[D], pack: PackDefinition, limits: Limits
) -> tuple[D, YamlDocument]:
    """Read one component, deriving `pack`, `name` and `ref` where the file leaves them out."""
    document = read_yaml_file(file)
    fields = {"pack": pack.ref, "name": file.stem, **document.data}
    problems: list[PackProblem] = []
    if fields["pack"] != pack.ref:
        problems.append(
            document.problem(f"'{fields['pack']}' is not this pack ('{pack.ref}')", ["pack"])
        )
    expected_ref = f"{pack.ref}.{fields['name']}"
    fields.setdefault("ref", expected_ref)
    if fields["ref"] != expected_ref:
        problems.append(
            document.problem(
                f"'{fields['ref']}' does not match the pack and name (expected '{expected_ref}')",
                ["ref"],
            )
        )
    if kind is ActionDefinition:
        problems += _read_workflow(fields, document, limits)
        if problems:
            raise PackLoadError(problems)  # (the workflow's own, with its file's lines)
    try:
        definition = _validated(document, kind, fields, limits)
    except PackLoadError as error:
        raise PackLoadError(problems + error.problems) from error
    if problems:
        raise PackLoadError(problems)
    return definition, document


def _read_workflow(
    fields: dict[str, Any], document: YamlDocument, limits: Limits
) -> list[PackProblem]:
    """A workflow action's definition, read from its `workflow_file` into `fields` (also
    StackStorm's `runner_type: orquesta` with its `entry_point`); its problems, each with
    the workflow file's line."""
    if fields.get("runner_type") == "orquesta":
        fields["runner_type"] = "workflow"
        fields.setdefault("workflow_file", fields.pop("entry_point", None))
    source = fields.get("workflow_file")
    if source is None:
        return []
    fields.setdefault("runner_type", "workflow")
    if not isinstance(source, str):
        return [document.problem("expected a path relative to actions/", ["workflow_file"])]
    path = document.file.parent / source
    if not path.is_file():
        return [document.problem(f"'{source}' does not exist ({_shown(path)})", ["workflow_file"])]
    workflow_document, _, problems = read_workflow(path, None, limits)
    fields["workflow"] = workflow_document.data
    return problems


def read_workflow(
    file: Path, actions: Collection[str] | None = None, limits: Limits = DEFAULT_LIMITS
) -> tuple[YamlDocument, Workflow | None, list[PackProblem]]:
    """The workflow `file` defines (None if it has problems) and its problems, each with
    its line and path."""
    document = read_yaml_file(file)
    try:
        return document, parse_workflow(document.data, actions, limits), []
    except InvalidWorkflow as invalid:
        return document, None, [_workflow_problem(document, p) for p in invalid.problems]


def _workflow_problem(document: YamlDocument, problem: Problem) -> PackProblem:
    where = shown(problem.path) or "(workflow)"
    return PackProblem(document.file, f"{where}: {problem.message}", document.line_of(problem.path))


def _check_entry_point(
    action: ActionDefinition, document: YamlDocument, pack_directory: Path
) -> None:
    if action.entry_point is None:
        return
    path = entry_point_path(pack_directory, action.entry_point)
    if not path.is_file():
        raise PackLoadError(
            [
                document.problem(
                    f"'{action.entry_point}' does not exist ({_shown(path)})", ["entry_point"]
                )
            ]
        )


def _component_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    # Entry points, READMEs and the like sit next to the YAML files and are not components.
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in _YAML_SUFFIXES)


def _load_components(directory: Path, kind: type[D], loaded: LoadedPack, limits: Limits) -> list[D]:
    definitions: list[D] = []
    defined_in: dict[str, Path] = {}
    for file in _component_files(directory):
        try:
            definition, document = _read_component(file, kind, loaded.pack, limits)
            if isinstance(definition, ActionDefinition):
                _check_entry_point(definition, document, loaded.directory)
            if definition.ref in defined_in:
                other = _shown(defined_in[definition.ref])
                message = f"duplicate ref '{definition.ref}' (already defined in {other})"
                raise PackLoadError([PackProblem(file, message, document.line_of(["name"]))])
        except PackLoadError as error:
            loaded.problems.extend(error.problems)
            continue
        defined_in[definition.ref] = file
        loaded.sources[definition.ref] = document
        definitions.append(definition)
    return definitions


def load_pack(directory: Path, limits: Limits = DEFAULT_LIMITS) -> LoadedPack:
    """Read one pack directory; raise PackLoadError if its pack.yaml is missing or invalid.
    A rule's templates are compiled under `limits` (the `expression_limits` setting)."""
    loaded = LoadedPack(directory, _read_pack_file(directory))
    loaded.actions = _load_components(directory / ACTIONS_DIR, ActionDefinition, loaded, limits)
    loaded.trigger_types = _load_components(
        directory / TRIGGERS_DIR, TriggerTypeDefinition, loaded, limits
    )
    loaded.rules = _load_components(directory / RULES_DIR, RuleDefinition, loaded, limits)
    return loaded


def find_packs(roots: Iterable[Path]) -> list[Path]:
    """The pack directories (holding a pack.yaml) directly under each root, or the root itself.

    Sorted within each root, roots kept in the order given (so the first root wins a duplicate
    pack ref), each directory once. A root that does not exist holds no packs.
    """
    found: dict[Path, None] = {}  # a dict keeps the first occurrence's order
    for root in roots:
        candidates = [root, *sorted(root.iterdir())] if root.is_dir() else []
        for candidate in candidates:
            if (candidate / PACK_FILE).is_file():
                found.setdefault(candidate.resolve())
    return list(found)


def load_packs(
    directories: Iterable[Path],
    limits: Limits = DEFAULT_LIMITS,
    config_directories: Iterable[Path] = (),
) -> tuple[list[LoadedPack], list[PackProblem]]:
    """Load every pack, with its configuration from `config_directories` (`_read_config`);
    return those loaded and the problems of those that could not be.

    A component's problem stays on its `LoadedPack.problems`; the list returned here holds the
    packs that failed as a whole (a bad pack.yaml, or a pack ref already loaded from elsewhere).
    """
    loaded: dict[str, LoadedPack] = {}
    problems: list[PackProblem] = []
    for directory in directories:
        try:
            pack = load_pack(directory, limits)
        except PackLoadError as error:
            problems.extend(error.problems)
            continue
        first = loaded.setdefault(pack.pack.ref, pack)
        if first is not pack:
            file = directory / PACK_FILE
            other = _shown(first.directory)
            message = f"duplicate pack ref '{pack.pack.ref}' (already loaded from {other})"
            problems.append(PackProblem(file, message, read_yaml_file(file).line_of(["ref"])))
    config_directories = list(config_directories)
    for pack in loaded.values():
        _read_config(pack, config_directories)
    _refuse_misplaced_secrets(list(loaded.values()))
    _refuse_unknown_task_actions(list(loaded.values()), limits)
    _refuse_unfit_rules(list(loaded.values()))
    return list(loaded.values()), problems


def _refuse_misplaced_secrets(packs: list[LoadedPack]) -> None:
    """Take out the actions whose parameter defaults would put the pack's secret
    configuration where it does not belong (`misplaced_secrets`), naming the line."""
    for pack in packs:
        kept: list[ActionDefinition] = []
        for action in pack.actions:
            defaults = {name: spec.default for name, spec in action.parameters.items()}
            misplaced = misplaced_secrets(defaults, action.parameters, pack.pack)
            document = pack.sources[action.ref]
            pack.problems += [
                document.problem(why, ["parameters", name, "default"]) for name, why in misplaced
            ]
            if not misplaced:
                kept.append(action)
        pack.actions = kept


def _refuse_unknown_task_actions(packs: list[LoadedPack], limits: Limits) -> None:
    """Take out the workflow actions whose tasks run actions no pack defines, naming the
    workflow file's line of each."""
    known = {action.ref for pack in packs for action in pack.actions}
    for pack in packs:
        kept: list[ActionDefinition] = []
        for action in pack.actions:
            workflow, source = action.workflow, action.workflow_file
            # (the file is read again, for its lines, only when something is wrong)
            if workflow is not None and source is not None and problems_of(workflow, known, limits):
                pack.problems += read_workflow(
                    pack.directory / ACTIONS_DIR / source, known, limits
                )[2]
                continue
            kept.append(action)
        pack.actions = kept


def _refuse_unfit_rules(packs: list[LoadedPack]) -> None:
    """Take out the rules that do not fit the trigger types and actions the packs define
    (`rule_problems`), each reason a problem with the rule file's line."""
    trigger_types = {t.ref: t for pack in packs for t in pack.trigger_types}
    actions = {a.ref: a for pack in packs for a in pack.actions}
    for pack in packs:
        fitting: list[RuleDefinition] = []
        for rule in pack.rules:
            misfits = rule_problems(
                rule, trigger_types.get(rule.trigger), actions.get(rule.action), pack.pack
            )
            document = pack.sources[rule.ref]
            pack.problems += [document.problem(p.message, p.field) for p in misfits]
            if not misfits:
                fitting.append(rule)
        pack.rules = fitting
