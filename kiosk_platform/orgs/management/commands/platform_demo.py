"""``python -m kiosk_platform platform_demo``: the demo organisation tree, its operators and a
provisioning code for the demo kiosk. Safe to run again: what exists is kept (passwords too).

The tree follows the two city plans the kiosk serves (Lanzhou and Tianshui, Gansu), with the
real division names (``../shared/realdata/cn_divisions_areas.csv``).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from kiosk_platform.clock import now
from kiosk_platform.fleet.provisioning import make_code
from kiosk_platform.orgs.models import Membership, Organisation

Kind = Organisation.Kind
# slug, Chinese name, English name, kind, parent slug
DEMO_TREE: list[tuple[str, str, str, str, str | None]] = [
    ("gansu", "甘肃省文化和旅游厅", "Gansu Department of Culture and Tourism", Kind.PROVINCE, None),
    ("lanzhou", "兰州市文化和旅游局", "Lanzhou Culture and Tourism Bureau", Kind.CITY, "gansu"),
    ("chengguan", "城关区文化和旅游局", "Chengguan District", Kind.COUNTY, "lanzhou"),
    ("qilihe", "七里河区文化和旅游局", "Qilihe District", Kind.COUNTY, "lanzhou"),
    ("baitashan", "白塔山公园", "Baita Mountain Park", Kind.SCENIC_AREA, "chengguan"),
    ("lanzhou-hotel", "兰州饭店", "Lanzhou Hotel", Kind.HOTEL, "chengguan"),
    ("tianshui", "天水市文化和旅游局", "Tianshui Culture and Tourism Bureau", Kind.CITY, "gansu"),
    ("maiji", "麦积区文化和旅游局", "Maiji District", Kind.COUNTY, "tianshui"),
    ("maijishan", "麦积山风景名胜区", "Maijishan Scenic Area", Kind.SCENIC_AREA, "maiji"),
    ("qinzhou", "秦州区文化和旅游局", "Qinzhou District", Kind.COUNTY, "tianshui"),
]
# user name, organisation slug, role
DEMO_OPERATORS = [
    ("gansu-admin", "gansu", Membership.Role.ADMIN),
    ("lanzhou-editor", "lanzhou", Membership.Role.EDITOR),
    ("chengguan-viewer", "chengguan", Membership.Role.VIEWER),
    ("tianshui-editor", "tianshui", Membership.Role.EDITOR),
]
DEMO_KIOSK = {"organisation": "chengguan", "group": "lanzhou/station", "name": "Lanzhou Railway Station, hall 1"}
DEMO_KIOSK_LOCATION = (36.0325, 103.8460)


class Command(BaseCommand):
    help = "Create the demo organisation tree, operators and a provisioning code (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=Path, required=True, help="JSON file keeping the demo passwords (0600)")
        parser.add_argument("--new-code", action="store_true", help="Make a new code even if one is unused")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        accounts_file: Path = options["accounts"]
        accounts: dict[str, Any] = {}
        if accounts_file.exists():
            accounts = json.loads(accounts_file.read_text(encoding="utf-8"))
        orgs: dict[str, Organisation] = {}
        for slug, name, name_en, kind, parent in DEMO_TREE:
            org, _ = Organisation.objects.get_or_create(
                slug=slug, defaults={"name": name, "name_en": name_en, "kind": kind, "parent": orgs.get(parent or "")}
            )
            orgs[slug] = org
        user_model = get_user_model()
        passwords: dict[str, str] = accounts.setdefault("operators", {})
        for username, slug, role in DEMO_OPERATORS:
            user = user_model.objects.filter(username=username).first()
            if user is None or username not in passwords:
                passwords[username] = secrets.token_urlsafe(12)
                if user is None:
                    user = user_model.objects.create_user(username=username, password=passwords[username])
                else:
                    user.set_password(passwords[username])
                    user.save()
            Membership.objects.update_or_create(user=user, defaults={"organisation": orgs[slug], "role": role})
        code = accounts.get("kiosk_code")
        if options["new_code"] or not code or not self._code_unused(code):
            code, _ = make_code(
                orgs[DEMO_KIOSK["organisation"]],
                DEMO_KIOSK["group"],
                DEMO_KIOSK["name"],
                now=now(),
                latitude=DEMO_KIOSK_LOCATION[0],
                longitude=DEMO_KIOSK_LOCATION[1],
            )
            accounts["kiosk_code"] = code
        accounts_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = accounts_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(accounts, indent=2, ensure_ascii=False), encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(accounts_file)
        self.stdout.write(f"demo: {len(orgs)} organisations, {len(DEMO_OPERATORS)} operators, code {code}")

    @staticmethod
    def _code_unused(code: str) -> bool:
        from kiosk_platform.fleet.models import ProvisioningCode
        from kiosk_platform.fleet.provisioning import digest, normalise_code

        record = ProvisioningCode.objects.filter(code_hash=digest(normalise_code(code))).first()
        return record is not None and record.used_at is None and record.expires_at > now()
