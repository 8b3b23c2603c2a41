"""Issue 15 benchmarks (DESIGN.md targets): a 100,000-row survey roster into the 1M-person ledger,
and an export of 100,000 persons.

- Import: the 东城区 officer's survey sweep, 100,000 rows (BENCH_ROSTER_ROWS): people already in
  the ledger (most unchanged, some with a new phone, address or need), people not in it
  (leads with their F3 clock), a few filed in another district (handed over) and a few rows of
  another district (listed). Measured through the product's own path: upload, the check (read,
  validate, match, preview, bad-rows workbook), confirmation and the apply (validated and
  matched again, committed all or nothing). Rows/s are given for the apply (validate + match +
  commit) and for the whole path; peak RSS of a fresh process doing the import.
- The baseline, in the same run on the same file: the same resource with django-import-export's
  default options (a row-by-row instance loader, no bulk writes, diffs and every row result
  kept, the file loaded by tablib), each row saved through the ledger's one-record services,
  as a dry run (import-export saves every row inside its transaction, then rolls back).
  BENCH_BASELINE_ROWS runs it on the first rows of the file only (rows/s compared).
- Export: the district's persons through the listing's export (the admin view behind the OTP
  gate, with the code asked again), streamed to nowhere; seconds per 100,000 rows and peak
  RSS of a fresh process against its RSS before the export (memory flat).

Each measurement runs in a process of its own (`python -m tests.bench.exchange MODE ...` on the
same database), so that the seed's memory does not count as the import's.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.bench.harness import Result

ROWS = int(os.environ.get("BENCH_ROSTER_ROWS", "100000"))
BASELINE_ROWS = int(os.environ.get("BENCH_BASELINE_ROWS", "10000"))
IMPORTER = "dongcheng"
DISTRICT = "110101000000"  # 东城区
IMPORT_TARGET = ">= 2000 rows/s, peak RSS <= 600 MB, >= 5x import-export defaults"
EXPORT_TARGET = "<= 10 s per 100k rows, memory flat"
OUT = Path(settings.BASE_DIR) / "var" / "bench"
# The roster's mix (shares of the rows).
MIX = {"unchanged": 0.50, "changed": 0.12, "new": 0.345, "elsewhere": 0.005, "outside": 0.03}


def _database_name() -> str:
    return connection.settings_dict["NAME"]


def _child(mode: str, *args: str) -> dict:
    """Run one measurement in a fresh interpreter on this database; its JSON result."""
    env = {**os.environ, "BENCH_DB_NAME": _database_name()}
    command = [sys.executable, "-m", "tests.bench.exchange", mode, *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    sys.stderr.write(done.stderr[-4000:])
    if done.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# The roster ---------------------------------------------------------------------------------


def _roster(path: Path, rows: int) -> dict:
    """A survey sweep of 东城区 written as an .xlsx: its mix of rows, shuffled."""
    from backoffice.enums import NeedStatus, NeedType, Subtype
    from backoffice.models import Area, Need, Person, PersonCategory
    from backoffice.spreadsheets import XlsxWriter
    from portal import identity

    rng = random.Random(time.time_ns())  # each run its own new people and new phones
    today = dt.date.today() - dt.timedelta(days=1)
    survey = [s for s in Subtype.values if s.startswith(("disabled", "dementia", "lost", "adv"))]
    survey += [Subtype.LIVING_ALONE, Subtype.SEVERE_DISABILITY]
    labels = dict(Subtype.choices)
    need_labels = dict(NeedType.choices)
    areas = {a.code: a for a in Area.objects.filter(district_id__in=[DISTRICT, "110105000000"])}
    dongcheng = [a for a in areas.values() if a.level == "community" and a.district_id == DISTRICT]
    others = [a for a in areas.values() if a.level == "community" and a.district_id != DISTRICT]
    want = {kind: int(rows * share) for kind, share in MIX.items()}
    want["new"] += rows - sum(want.values())
    in_ledger = want["unchanged"] + want["changed"]
    held = (
        PersonCategory.objects.filter(
            subtype__in=survey,
            person__household__district_id=DISTRICT,
            person__household__status="active",
            person__exited_on__isnull=True,
        )
        .values_list("person_id", "subtype")
        .order_by("person_id")
    )
    subtype_of = dict(held[: in_ledger * 2])
    people = list(
        Person.objects.filter(pk__in=list(subtype_of)[:in_ledger])
        .select_related("household")
        .only(
            "pk",
            "name",
            "id_number_encrypted",
            "phone_encrypted",
            "household__address",
            "household__community_id",
            "household_id",
        )
    )
    needs = {}
    for household_id, need_type in Need.objects.filter(
        household_id__in={p.household_id for p in people},
        status__in=(NeedStatus.OPEN, NeedStatus.IN_PROGRESS),
    ).values_list("household_id", "need_type"):
        needs.setdefault(household_id, need_type)
    elsewhere = list(
        Person.objects.filter(household__district_id="110105000000", exited_on__isnull=True)
        .exclude(id_number_encrypted="")
        .only("name", "id_number_encrypted")[: want["elsewhere"]]
    )

    def place(community):
        street = areas[community.street_id]
        return [areas[community.district_id].name, street.name, community.name]

    lines, counts = [], {kind: 0 for kind in MIX}
    for number, person in enumerate(people):
        kind = "unchanged" if number < want["unchanged"] else "changed"
        household = person.household
        phone = identity.decrypt_value(person.phone_encrypted) if person.phone_encrypted else ""
        address = household.address
        need = need_labels[needs.get(person.household_id, NeedType.CARE)]
        if kind == "changed":  # a new phone, a new address or a need not on file
            change = number % 3
            if change == 0:
                phone = f"139{rng.randint(0, 99_999_999):08d}"
            elif change == 1:
                address += "（新）"
            else:
                need = need_labels[NeedType.LEGAL]
        lines.append(
            [
                person.name,
                identity.decrypt_value(person.id_number_encrypted),
                phone,
                *place(areas[household.community_id]),
                address,
                labels[subtype_of[person.pk]],
                "独居，行动不便",
                need,
                today.isoformat(),
            ]
        )
        counts[kind] += 1
    for number in range(want["new"] + (in_ledger - len(people))):
        birth = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randint(0, 12000))
        community = rng.choice(dongcheng)
        lines.append(
            [
                "新" + rng.choice("王李张刘陈杨") + rng.choice("伟芳娜敏静丽"),
                identity.make_id_number(
                    area_code="110101",
                    birth=birth,
                    sequence=rng.randint(0, 999),
                    female=bool(number % 2),
                ),
                f"13{rng.randint(0, 999_999_999):09d}",
                *place(community),
                f"胡同{rng.randint(1, 300)}号",
                labels[rng.choice(survey)],
                "摸排发现，独居老人",
                "照料护理",
                today.isoformat(),
            ]
        )
        counts["new"] += 1
    for person in elsewhere:
        lines.append(
            [
                person.name,
                identity.decrypt_value(person.id_number_encrypted),
                "",
                *place(rng.choice(dongcheng)),
                "寄居亲属家",
                labels[Subtype.LIVING_ALONE],
                "寄居东城区亲属家",
                "照料护理",
                today.isoformat(),
            ]
        )
        counts["elsewhere"] += 1
    for number in range(want["outside"]):
        lines.append(
            [
                "外区" + rng.choice("伟芳娜敏静丽"),
                identity.make_id_number(
                    area_code="110105",
                    birth=dt.date(1940, 1, 1) + dt.timedelta(days=number),
                    sequence=rng.randint(0, 999),
                    female=True,
                ),
                "",
                *place(rng.choice(others)),
                "朝阳区某地",
                labels[Subtype.LIVING_ALONE],
                "外区",
                "照料护理",
                today.isoformat(),
            ]
        )
        counts["outside"] += 1
    # Two people of one sweep never share an ID, and a new person's random ID is nobody's in
    # the ledger: drop the rare repeat drawn at random.
    drawn = [line[1] for line in lines[len(people) :]]
    indexes = {identity.blind_index(number, kind="id"): number for number in drawn}
    taken = set()
    for start in range(0, len(drawn), 5000):
        chunk = list(indexes)[start : start + 5000]
        taken.update(
            indexes[index]
            for index in Person.objects.filter(id_number_index__in=chunk).values_list(
                "id_number_index", flat=True
            )
        )
    taken -= {identity.decrypt_value(p.id_number_encrypted) for p in elsewhere}
    seen, unique = set(), []
    for line in lines:
        if line[1] not in seen and line[1] not in taken:
            seen.add(line[1])
            unique.append(line)
    rng.shuffle(unique)
    headers = [
        "姓名",
        "公民身份号码",
        "联系电话",
        "区",
        "街道（乡镇）",
        "社区（村）",
        "现住址",
        "人员类别",
        "困难情形",
        "帮扶需求",
        "调查完成日期",
    ]
    with path.open("wb") as out:
        writer = XlsxWriter(out, compresslevel=6)
        writer.start_sheet("名册", headers)
        for line in unique:
            writer.write_row(line)
        writer.close()
    return {**counts, "rows": len(unique)}


# The measurements, each in its own process ----------------------------------------------------


def _peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child_import(path: str) -> dict:
    """The product's path, as the web page and the command run it."""
    from django.contrib.auth import get_user_model
    from django.core.files import File

    from backoffice.actor import user_actor
    from backoffice.enums import Channel
    from backoffice.services.exchange import (
        roster_import_apply,
        roster_import_check,
        roster_import_confirm,
        roster_import_create,
    )

    user = get_user_model().objects.get(username=IMPORTER)
    actor = user_actor(user, channel=Channel.IMPORT)
    started = time.perf_counter()
    with open(path, "rb") as upload:
        roster_import = roster_import_create(
            actor=actor, kind="survey", upload=File(upload), name="摸排名册.xlsx", queue=False
        )
    roster_import = roster_import_check(import_id=roster_import.pk)
    checked = time.perf_counter()
    if roster_import.status != "preview":
        return {"status": roster_import.status, "error": roster_import.error}
    roster_import_confirm(actor=actor, roster_import=roster_import, queue=False)
    confirmed = time.perf_counter()
    roster_import = roster_import_apply(import_id=roster_import.pk)
    applied = time.perf_counter()
    return {
        "status": roster_import.status,
        "error": roster_import.error,
        "rows": roster_import.rows,
        "check_s": round(checked - started, 2),
        "apply_s": round(applied - confirmed, 2),
        "total_s": round(applied - started, 2),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "totals": roster_import.totals,
        "result": roster_import.result,
    }


def child_baseline(path: str, rows: str) -> dict:
    """django-import-export's defaults on the same file: see the module's docstring."""
    import tablib
    from django.contrib.auth import get_user_model
    from import_export.instance_loaders import ModelInstanceLoader

    from backoffice.actor import user_actor
    from backoffice.enums import Channel, RowOutcome
    from backoffice.models import Need, Person
    from backoffice.resources.exchange import ROW_KEY, SurveyResource
    from backoffice.services.exchange import ImportSession, ledger_facts
    from backoffice.services.ledger_edits import (
        household_update,
        ledger_record_save,
        person_update,
    )
    from backoffice.services.triage import lead_hand_over, lead_register
    from portal import identity

    class RowByRowLoader(ModelInstanceLoader):
        """As ModelInstanceLoader: one lookup per row (here: the ledger facts of one ID)."""

        def get_instance(self, row):
            try:
                number = identity.normalize_id_number(str(row.get("公民身份号码") or ""))
            except identity.IdNumberError:
                return None
            facts, reported = ledger_facts(
                actor=self.resource.session.actor,
                indexes=[identity.blind_index(number, kind="id")],
            )
            self.resource.session.reported = reported
            return facts[0]

    class DefaultSurveyResource(SurveyResource):
        """The survey resource with import-export's default options: no bulk, diffs kept,
        every row result kept, one save per row through the one-record services."""

        class Meta:
            use_bulk = False
            skip_diff = False
            store_instance = False
            import_id_fields = ["id_number"]
            instance_loader_class = RowByRowLoader

        def get_result_class(self):
            from import_export.results import Result

            return Result

        def get_row_result_class(self):
            from import_export.results import RowResult

            return RowResult

        def after_import_row(self, row, row_result, **kwargs):
            pass

        def skip_row(self, instance, original, row, import_validation_errors=None):
            return not import_validation_errors and not instance.outcome.startswith(
                ("lead", "different", "handover")
            )

        def do_instance_save(self, instance, is_create):
            actor, plan = self.session.actor, instance.plan
            if instance.outcome == RowOutcome.LEAD:
                lead_register(actor=actor, lead=plan.lead)
            elif instance.outcome == RowOutcome.HANDOVER:
                holder = Person.objects.select_related("household").get(pk=plan.holder)
                lead_hand_over(actor=actor, lead=plan.lead, holder=holder)
            elif instance.outcome == RowOutcome.DIFFERENT:
                person = Person.objects.select_related("household").get(pk=plan.person.pk)
                if plan.person_values:
                    person_update(
                        person=person,
                        changes={},
                        phone=instance.phone,
                        expected_version=person.version,
                        actor=actor,
                    )
                if plan.household_values:
                    household = person.household
                    household_update(
                        household=household,
                        changes={"address": instance.address},
                        expected_version=household.version,
                        actor=actor,
                    )
                for need_type, description, _for_person in plan.new_needs:
                    need = Need(
                        household=person.household,
                        person=person,
                        need_type=need_type,
                        description=description,
                    )
                    ledger_record_save(actor=actor, record=need, changed_fields=["need_type"])

    user = get_user_model().objects.get(username=IMPORTER)
    actor = user_actor(user, channel=Channel.IMPORT)
    started = time.perf_counter()
    with open(path, "rb") as upload:
        dataset = tablib.Dataset().load(upload.read(), format="xlsx")
    limit = int(rows)
    if limit < len(dataset):
        dataset = tablib.Dataset(*dataset[:limit], headers=dataset.headers)
    dataset.insert_col(0, list(range(2, len(dataset) + 2)), header=ROW_KEY)
    loaded = time.perf_counter()
    session = ImportSession(
        actor=actor, kind="survey", dry_run=True, headers=dataset.headers[1:], progress=None
    )
    resource = DefaultSurveyResource(session=session)
    result = resource.import_data(dataset, dry_run=True)
    finished = time.perf_counter()
    return {
        "rows": len(dataset),
        "load_s": round(loaded - started, 2),
        "total_s": round(finished - started, 2),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "totals": dict(result.totals),
        "invalid": len(result.invalid_rows),
    }


def child_export() -> dict:
    """The district's persons through the listing's export, streamed to nowhere."""
    from django.test import Client
    from django.test.utils import override_settings

    from backoffice.models import Person
    from backoffice.scope import scope_queryset
    from tests.bench.foundation import _verified_client
    from tests.conftest import totp_now

    with override_settings(ALLOWED_HOSTS=["*"]):
        client: Client = _verified_client(IMPORTER)
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(username=IMPORTER)
        rows = scope_queryset(user, Person.objects.all()).count()
        # The page that offers the export, as the user sees it first: the process's first
        # request loads the URL configuration and the admin's modules (~0.7 s, once per
        # worker), which is not the export's time.
        if client.get("/admin/exchange/export/persons/").status_code != 200:
            raise RuntimeError("the export page did not open")
        before = _rss_mb()
        started = time.perf_counter()
        response = client.post(
            "/admin/exchange/export/persons/", {"file_format": "xlsx", "otp_code": totp_now()}
        )
        if response.status_code != 200 or not response.streaming:
            raise RuntimeError(f"export refused: {response.status_code}")
        size = sum(len(chunk) for chunk in response.streaming_content)
        seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "bytes": size,
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


# The rows of the table ----------------------------------------------------------------------


def run() -> list[Result]:
    from backoffice.demo.accounts import demo_accounts_create
    from tests.bench.ledger import _seed

    demo_accounts_create()
    results = [_seed()]
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "survey-roster.xlsx"
    started = time.perf_counter()
    mix = _roster(path, ROWS)
    print(f"  roster: {mix} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    ours = _child("import", str(path))
    if ours.get("status") != "applied":
        raise RuntimeError(f"the roster was not applied: {ours}")
    baseline = _child("baseline", str(path), str(BASELINE_ROWS))
    rate = ours["rows"] / ours["apply_s"]
    whole = ours["rows"] / ours["total_s"]
    baseline_rate = baseline["rows"] / baseline["total_s"]
    ratio = whole / baseline_rate
    results.append(
        Result(
            name=f"survey roster import, {ours['rows']:,} rows (apply: validate+match+commit)",
            n=1,
            p50_ms=ours["apply_s"] * 1000,
            p95_ms=ours["apply_s"] * 1000,
            target=IMPORT_TARGET,
            ok=rate >= 2000 and ours["peak_rss_mb"] <= 600 and ratio >= 5,
            extra={
                "rows_per_s_apply": round(rate),
                "rows_per_s_whole_path": round(whole),
                "check_s": ours["check_s"],
                "apply_s": ours["apply_s"],
                "total_s": ours["total_s"],
                "peak_rss_mb": ours["peak_rss_mb"],
                "baseline_rows": baseline["rows"],
                "baseline_s": baseline["total_s"],
                "baseline_rows_per_s": round(baseline_rate, 1),
                "baseline_peak_rss_mb": baseline["peak_rss_mb"],
                "ratio_whole_path_to_baseline": round(ratio, 1),
                "mix": mix,
                "totals": ours["totals"],
                "database": connection.vendor,
            },
        )
    )
    exported = _child("export")
    per_100k = exported["seconds"] * 100_000 / max(exported["rows"], 1)
    growth = exported["peak_rss_mb"] - exported["rss_before_mb"]
    results.append(
        Result(
            name=f"export persons, {exported['rows']:,} rows (xlsx, streamed)",
            n=1,
            p50_ms=exported["seconds"] * 1000,
            p95_ms=exported["seconds"] * 1000,
            target=EXPORT_TARGET,
            ok=per_100k <= 10 and growth <= 150,
            extra={**exported, "seconds_per_100k": round(per_100k, 2), "rss_growth_mb": growth},
        )
    )
    for row in results:
        print(f"  {row.name}: {row.extra}", file=sys.stderr)
    return results


def _child_main(mode: str, *args: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    import django

    django.setup()
    from django.db import connection as child_connection

    child_connection.settings_dict["NAME"] = os.environ["BENCH_DB_NAME"]
    handlers = {"import": child_import, "baseline": child_baseline, "export": child_export}
    print(json.dumps(handlers[mode](*args), ensure_ascii=False))


if __name__ == "__main__":
    _child_main(*sys.argv[1:])
