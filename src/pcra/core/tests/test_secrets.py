"""Secrets at rest: encrypted under a key kept outside the database, never garbage."""

import pytest

from pcra.core import secrets


@pytest.fixture
def key_path(settings, tmp_path):
    settings.PCRA_SECRETS_KEY_FILE = str(tmp_path / "keys" / "secrets.key")
    return tmp_path / "keys" / "secrets.key"


def test_round_trip_and_the_key_file(key_path):
    token = secrets.encrypt("restic-p@ss wörd")
    assert "restic" not in token and token != secrets.encrypt("restic-p@ss wörd")  # salted
    assert secrets.decrypt(token) == "restic-p@ss wörd"
    assert oct(key_path.stat().st_mode & 0o777) == "0o600"
    assert oct(key_path.parent.stat().st_mode & 0o777) == "0o700"


def test_a_wrong_key_or_an_altered_token_is_an_error(key_path, settings, tmp_path):
    token = secrets.encrypt("secret")
    altered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(secrets.SecretError, match="wrong key, or the stored value was altered"):
        secrets.decrypt(altered)
    settings.PCRA_SECRETS_KEY_FILE = str(tmp_path / "other.key")  # a new, different key
    with pytest.raises(secrets.SecretError, match="cannot be decrypted"):
        secrets.decrypt(token)


def test_an_unreadable_or_empty_key_file_is_named(key_path):
    key_path.parent.mkdir(parents=True)
    key_path.write_text("\n")
    with pytest.raises(secrets.SecretError, match="holds no key"):
        secrets.encrypt("x")
    key_path.write_text("not-a-fernet-key\n")
    with pytest.raises(secrets.SecretError, match="invalid key"):
        secrets.encrypt("x")


def test_rotation_keeps_old_secrets_readable(key_path):
    old = secrets.encrypt("v1")
    secrets.rotate_keys()
    assert len(key_path.read_text().split()) == 2
    assert secrets.decrypt(old) == "v1"
    fresh = secrets.reencrypt(old)
    assert fresh != old and secrets.decrypt(fresh) == "v1"
