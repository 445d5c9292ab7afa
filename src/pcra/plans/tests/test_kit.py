"""The offline crisis kit: files, MANIFEST, encryption with real 7-Zip, freshness, failures that
leave nothing behind, and the command line."""

from __future__ import annotations

import errno
import hashlib
import json
import subprocess

import pytest
from django.core.management import CommandError, call_command

from pcra.plans import documents, selectors, services
from pcra.plans.models import KitExport
from pcra.plans.tests.factories import approve, ready_plan

pytestmark = pytest.mark.django_db

PASSPHRASE = "Crise-été 2026 : ne pas payer !"


@pytest.fixture
def binder_world(world):
    plan = ready_plan(world, title="PCRA des urgences")
    approve(plan, world.ght_admin)
    services.reflex_defaults(top=world.ght_a, language="fr")
    services.contact_create(top=world.ght_a, name="Directrice de garde",
                            mobile="06 39 98 10 01", backup_phone="01 99 00 99 00",
                            crisis_role="Directrice de crise")
    return world


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_kit_files_and_manifest(binder_world, tmp_path):
    world = binder_world
    result = documents.write_kit(out_dir=tmp_path, organization=world.et_a1)
    folder = result.path
    assert folder.parent == tmp_path and folder.name.startswith("pcra-kit-ET-A1-")
    assert sorted(p.name for p in folder.iterdir()) == [
        "MANIFEST", "classeur-crise-ET-A1.html", "classeur-crise-ET-A1.pdf"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]  # no temporary left
    lines = (folder / "MANIFEST").read_text().splitlines()
    assert lines == [f"{_sha(folder / name)}  {name}" for name in
                     ("classeur-crise-ET-A1.html", "classeur-crise-ET-A1.pdf")]
    check = subprocess.run(["sha256sum", "-c", "MANIFEST"], cwd=folder, capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    html = (folder / "classeur-crise-ET-A1.html").read_text()
    assert "PCRA des urgences" in html and "01 99 00 99 00" in html
    for reference in ("http://", "https://", "src=\"/", "href=\"/", "<link", "@import"):
        assert reference not in html
    kit = KitExport.objects.get()
    assert (kit.organization, kit.encrypted, kit.content_hash) == (
        world.et_a1, False, selectors.binder(organization=world.et_a1).content_hash)
    assert kit.files == {name: digest for digest, name in (line.split("  ") for line in lines)}
    # Corrupt a file: the MANIFEST says so.
    (folder / "classeur-crise-ET-A1.pdf").write_bytes(b"%PDF-1.7 damaged")
    check = subprocess.run(["sha256sum", "-c", "MANIFEST"], cwd=folder, capture_output=True,
                           text=True)
    assert check.returncode == 1 and "classeur-crise-ET-A1.pdf: FAILED" in check.stdout


def test_freshness_follows_the_approved_content(binder_world, tmp_path, client):
    world = binder_world
    client.force_login(world.member)

    def dashboard_warns() -> bool:
        return "kit-alert" in client.get("/").content.decode()

    documents.write_kit(out_dir=tmp_path, organization=world.et_a1)
    [fresh] = selectors.kit_freshness(user=world.member)
    assert (fresh.organization, fresh.changed) == (world.et_a1, False)
    assert not dashboard_warns()
    assert selectors.kit_freshness(user=world.outsider) == []
    plan = selectors.approved_versions(selectors.plans_visible_to(user=world.owner)).get()
    draft = services.plan_new_version(plan=plan)
    assert not selectors.kit_freshness(user=world.member)[0].changed  # a draft is not in it
    services.plan_update(plan=draft, title="PCRA des urgences (révisé)")
    approve(draft, world.ght_admin)
    assert selectors.kit_freshness(user=world.member)[0].changed
    assert dashboard_warns()
    documents.write_kit(out_dir=tmp_path, organization=world.et_a1)
    assert not selectors.kit_freshness(user=world.member)[0].changed


def test_encrypted_kit_opens_with_7zip_and_the_passphrase_only(binder_world, tmp_path):
    world = binder_world
    out = tmp_path / "out"
    out.mkdir()
    result = documents.write_kit(out_dir=out, organization=world.et_a1, passphrase=PASSPHRASE)
    archive = result.path
    assert archive.suffix == ".7z" and result.encrypted
    assert sorted(p.name for p in out.iterdir()) == [archive.name, f"{archive.name}.sha256"]
    assert (out / f"{archive.name}.sha256").read_text() == f"{_sha(archive)}  {archive.name}\n"
    assert KitExport.objects.get().files == {archive.name: _sha(archive)}
    # Without the passphrase, not even the file names can be read.
    listing = subprocess.run(["7zz", "l", "-p", str(archive)], capture_output=True, text=True)
    assert listing.returncode != 0 and "classeur" not in listing.stdout
    wrong = subprocess.run(["7zz", "x", "-pnot the passphrase", f"-o{tmp_path / 'bad'}",
                            str(archive)], capture_output=True, text=True)
    assert wrong.returncode != 0 and "Wrong password" in wrong.stdout + wrong.stderr
    done = subprocess.run(["7zz", "x", f"-p{PASSPHRASE}", f"-o{tmp_path / 'open'}",
                           str(archive)], capture_output=True, text=True,
                          env={"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PATH": "/usr/bin"})
    assert done.returncode == 0, done.stdout + done.stderr
    [folder] = (tmp_path / "open").iterdir()
    check = subprocess.run(["sha256sum", "-c", "MANIFEST"], cwd=folder, capture_output=True,
                           text=True)
    assert check.returncode == 0 and check.stdout.count(": OK") == 2


def test_a_failure_leaves_nothing(binder_world, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(documents, "binder_pdf_bytes", full)
    with pytest.raises(documents.KitError, match="No space left on device"):
        documents.write_kit(out_dir=tmp_path, organization=binder_world.et_a1)
    assert list(tmp_path.iterdir()) == []
    assert not KitExport.objects.exists()


def test_a_failing_archiver_leaves_nothing(binder_world, tmp_path, monkeypatch, english):
    monkeypatch.setattr(documents, "SEVEN_ZIP", "false")  # exits 1, like a refused archive
    with pytest.raises(documents.KitError, match="7-Zip could not write the encrypted kit"):
        documents.write_kit(out_dir=tmp_path, organization=binder_world.et_a1,
                            passphrase=PASSPHRASE)
    assert list(tmp_path.iterdir()) == []
    assert not KitExport.objects.exists()


def test_passphrase_file_checks(tmp_path, english):
    short = tmp_path / "short"
    short.write_text("trop court\n")
    with pytest.raises(documents.KitError, match="too short: at least 12 characters"):
        documents.read_passphrase(short)
    with pytest.raises(documents.KitError, match="Cannot read the passphrase file"):
        documents.read_passphrase(tmp_path / "missing")
    good = tmp_path / "good"
    good.write_text(f"{PASSPHRASE}\nsecond line ignored\n", encoding="utf-8")
    assert documents.read_passphrase(good) == PASSPHRASE


def test_export_kit_command(binder_world, tmp_path, capsys):
    call_command("export_kit", str(tmp_path), "--organization", "ET-A1", "--json")
    result = json.loads(capsys.readouterr().out)
    assert (result["organization"], result["encrypted"], result["plans"],
            result["reflex_sheets"], result["contacts"]) == ("ET-A1", False, 1, 5, 1)
    assert sorted(result["files"]) == ["classeur-crise-ET-A1.html", "classeur-crise-ET-A1.pdf"]
    with pytest.raises(CommandError, match="GHT-A, GHT-B"):
        call_command("export_kit", str(tmp_path))
    with pytest.raises(CommandError, match="NOPE"):
        call_command("export_kit", str(tmp_path), "--organization", "NOPE")
    with pytest.raises(CommandError, match="n’est pas un dossier"):
        call_command("export_kit", str(tmp_path / "missing"), "--organization", "ET-A1")
    assert KitExport.objects.count() == 1
