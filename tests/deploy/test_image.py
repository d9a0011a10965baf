"""The container image's data dir, read from the Dockerfile and the deployment files in `deploy/`.

The image itself is untested here: this machine (and CI) has no Docker engine. What is checked is the layout
the Dockerfile declares, by parsing it: the embedded store's data dir is a volume at one documented path
(`/var/lib/twinhub`), created and owned by the image's unprivileged user before `VOLUME` (Docker keeps what a
build step does to a volume path only until `VOLUME` is declared, and a new named volume starts as a copy of
it, owner included) and before `USER`; the server is pointed there (`TWINHUB_DATA_DIR`); the Compose file
of the embedded mode mounts a volume at that path; the PostgreSQL deployments need no data dir, and the
Kubernetes pods run as the image's user, so a volume they mount is writable.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from twinhub.config import load_settings

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = "/var/lib/twinhub"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    argument: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """The instructions, with continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    pieces: list[str] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pieces.append(line.strip().removesuffix("\\").strip())
        if line.rstrip().endswith("\\"):
            continue
        keyword, _, argument = " ".join(pieces).partition(" ")
        instructions.append(Instruction(keyword.upper(), argument.strip()))
        pieces = []
    return instructions


def _index(instructions: list[Instruction], keyword: str) -> int:
    [index] = [n for n, instruction in enumerate(instructions) if instruction.keyword == keyword]
    return index


def _env(instructions: list[Instruction]) -> dict[str, str]:
    values: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword == "ENV":
            for pair in shlex.split(instruction.argument):
                name, _, value = pair.partition("=")
                values[name] = value
    return values


@dataclass(frozen=True)
class Image:
    instructions: list[Instruction]

    @property
    def user(self) -> str:
        return self.instructions[_index(self.instructions, "USER")].argument

    def runs(self) -> list[tuple[int, list[str]]]:
        """Each RUN's shell commands (split at `&&`), with the RUN's position."""
        return [(n, [shlex.join(shlex.split(part)) for part in instruction.argument.split("&&")])
                for n, instruction in enumerate(self.instructions) if instruction.keyword == "RUN"]

    def uid(self) -> int:
        for _, commands in self.runs():
            for command in commands:
                words = shlex.split(command)
                if words[:1] == ["useradd"] and words[-1] == self.user:
                    return int(words[words.index("--uid") + 1])
        raise AssertionError(f"no `useradd ... --uid N {self.user}` in the Dockerfile")


def image() -> Image:
    return Image(parse_dockerfile((ROOT / "Dockerfile").read_text()))


def _yaml(path: str) -> Any:
    return yaml.safe_load((ROOT / path).read_text())


def _yaml_documents(path: str) -> list[Any]:
    return list(yaml.safe_load_all((ROOT / path).read_text()))


def test_the_dockerfile_parser_joins_continuations_and_drops_comments() -> None:
    parsed = parse_dockerfile("# a comment\nFROM x\nRUN a \\\n    && b\n\nUSER u\n")
    assert parsed == [Instruction("FROM", "x"), Instruction("RUN", "a && b"), Instruction("USER", "u")]


def test_the_data_dir_is_a_volume_owned_by_the_image_user_before_user_and_volume() -> None:
    built = image()
    user, volume_at, user_at = built.user, _index(built.instructions, "VOLUME"), _index(built.instructions, "USER")
    assert user and user != "root" and not user.startswith("0")
    volume = built.instructions[volume_at].argument
    assert (volume.strip('[]" ') if volume.startswith("[") else volume) == DATA_DIR
    created = owned = None
    for position, commands in built.runs():
        for command in commands:
            words = shlex.split(command)
            if words[:2] == ["mkdir", "-p"] and DATA_DIR in words:
                created = position
            if words[:1] == ["chown"] and DATA_DIR in words and re.fullmatch(rf"{user}(:{user})?", words[-2]):
                owned = position
    assert created is not None, f"no RUN creates {DATA_DIR}"
    assert owned is not None, f"no RUN makes {DATA_DIR} the user {user}'s"
    assert created <= owned < volume_at and owned < user_at
    assert all(DATA_DIR not in instruction.argument for instruction in built.instructions[volume_at + 1:]
               if instruction.keyword == "RUN"), "a RUN after VOLUME changes nothing in the volume"


def test_the_server_in_the_image_uses_the_volume() -> None:
    built = image()
    environment = _env(built.instructions)
    assert environment["TWINHUB_DATA_DIR"] == DATA_DIR
    assert load_settings(environment).data_dir == Path(DATA_DIR)
    command = built.instructions[_index(built.instructions, "CMD")].argument
    assert "--data-dir" not in command  # the environment decides; `docker run ... twinhub user add` agrees


def test_the_embedded_compose_file_mounts_a_volume_at_the_data_dir() -> None:
    compose = _yaml("deploy/docker-compose.embedded.yml")
    service = compose["services"]["twinhub"]
    assert service["build"] == ".."
    mounts = [str(volume).split(":") for volume in service["volumes"]]
    [name] = [mount[0] for mount in mounts if mount[1] == DATA_DIR]
    assert name in compose["volumes"]  # a named volume: Docker copies the image's owner onto it
    assert service.get("environment", {}).get("TWINHUB_DATA_DIR", DATA_DIR) == DATA_DIR
    assert "--data-dir" not in " ".join(service.get("command", []))


def test_the_postgresql_deployments_need_no_data_dir_and_run_as_the_image_user() -> None:
    twinhub = _yaml("deploy/docker-compose.yml")["services"]["twinhub"]
    assert twinhub["environment"]["TWINHUB_STORE_URL"].startswith("postgresql://")
    documents = _yaml_documents("deploy/kubernetes/twinhub.yaml")
    [deployment] = [document for document in documents if document["kind"] == "Deployment"]
    [secret] = [document for document in documents if document["kind"] == "Secret"]
    assert secret["stringData"]["TWINHUB_STORE_URL"].startswith("postgresql://")
    pod = deployment["spec"]["template"]["spec"]
    uid = image().uid()
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == uid
    assert pod["securityContext"]["fsGroup"] == uid  # a mounted volume is made writable for that group
