"""Accounts: argon2 hashes, validated roles and divisions, disabled users, the users CLI."""

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner

from kmsearch.access import ANONYMOUS
from kmsearch.cli import cli
from kmsearch.config import PROJECT_ROOT
from kmsearch.errors import Conflict, NotFound, ValidationError
from kmsearch.store import accounts
from kmsearch.store.cases import Store
from kmsearch.taxonomy import load_taxonomy

PASSWORD = "correct horse battery"


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "k.db")
    yield store
    store.close()


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(PROJECT_ROOT / "corpus" / "taxonomy.yaml")


def messages(error: ValidationError) -> list[str]:
    return [f"{p.field}: {p.message}" for p in error.problems]


def test_passwords_are_stored_as_argon2id_hashes_that_verify(store, taxonomy):
    user = accounts.add_user(store, taxonomy, "alice", PASSWORD)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert PasswordHasher().verify(user.password_hash, PASSWORD)
    assert accounts.authenticate(store, "alice", PASSWORD).username == "alice"


def test_a_wrong_password_or_an_unknown_user_does_not_authenticate(store, taxonomy):
    accounts.add_user(store, taxonomy, "alice", PASSWORD)
    assert accounts.authenticate(store, "alice", PASSWORD + "!") is None
    assert accounts.authenticate(store, "bob", PASSWORD) is None
    assert accounts.authenticate(store, "alice", "") is None


def test_usernames_are_case_insensitive_and_unique(store, taxonomy):
    accounts.add_user(store, taxonomy, "Alice", PASSWORD)
    assert accounts.get_user(store, "ALICE").username == "alice"
    assert accounts.authenticate(store, " ALICE ", PASSWORD).username == "alice"
    with pytest.raises(Conflict, match="already exists"):
        accounts.add_user(store, taxonomy, "aLiCe", PASSWORD)


def test_every_problem_with_a_new_user_is_reported_at_once(store, taxonomy):
    with pytest.raises(ValidationError) as caught:
        accounts.add_user(store, taxonomy, "no spaces", "short", roles=["boss"],
                          divisions=["mars"])
    found = messages(caught.value)
    assert any(m.startswith("username: use 1 to 64 letters") for m in found)
    assert "password: must be at least 10 characters" in found
    assert any(m.startswith("roles: unknown role 'boss'; use viewer, contributor") for m in found)
    assert any(m.startswith("divisions: unknown division 'mars'; use one of") for m in found)
    assert accounts.list_users(store) == []


def test_a_password_may_not_be_the_username(store, taxonomy):
    with pytest.raises(ValidationError, match="must not be the username"):
        accounts.add_user(store, taxonomy, "longusername", "LongUsername")


def test_divisions_are_resolved_to_codes_by_name_or_code(store, taxonomy):
    user = accounts.add_user(store, taxonomy, "cora", PASSWORD, roles=["contributor"],
                             divisions=["Forests, Land and Housing", "trade", "TRADE"])
    assert user.divisions == ("forests-land-housing", "trade")
    assert user.viewer.divisions == {"forests-land-housing", "trade"}


def test_a_contributor_needs_a_division(store, taxonomy):
    with pytest.raises(ValidationError, match="contributor needs at least one division"):
        accounts.add_user(store, taxonomy, "cora", PASSWORD, roles=["contributor"])
    accounts.add_user(store, taxonomy, "vic", PASSWORD)
    with pytest.raises(ValidationError, match="contributor needs at least one division"):
        accounts.set_roles(store, "vic", ["contributor"])
    accounts.set_divisions(store, taxonomy, "vic", ["statistics"])
    assert accounts.set_roles(store, "vic", ["contributor", "viewer"]).roles == (
        "viewer", "contributor")
    with pytest.raises(ValidationError, match="contributor needs at least one division"):
        accounts.set_divisions(store, taxonomy, "vic", [])


def test_roles_must_be_known_and_at_least_one(store, taxonomy):
    accounts.add_user(store, taxonomy, "rita", PASSWORD)
    with pytest.raises(ValidationError, match="give at least one of viewer"):
        accounts.set_roles(store, "rita", [])
    with pytest.raises(ValidationError, match="unknown role 'superuser'"):
        accounts.set_roles(store, "rita", ["superuser"])
    assert accounts.set_roles(store, "rita", ["Reviewer"]).viewer.sees_all_restricted


def test_a_disabled_user_never_authenticates_until_enabled(store, taxonomy):
    accounts.add_user(store, taxonomy, "alice", PASSWORD)
    accounts.disable(store, "alice")
    assert accounts.authenticate(store, "alice", PASSWORD) is None
    assert accounts.viewer_for(store, "alice") == ANONYMOUS
    accounts.enable(store, "alice")
    assert accounts.authenticate(store, "alice", PASSWORD) is not None


def test_a_sign_in_records_last_login(store, taxonomy):
    accounts.add_user(store, taxonomy, "alice", PASSWORD)
    assert accounts.get_user(store, "alice").last_login is None
    accounts.authenticate(store, "alice", PASSWORD)
    assert accounts.get_user(store, "alice").last_login is not None


def test_a_hash_with_old_parameters_is_replaced_on_sign_in(store, taxonomy):
    accounts.add_user(store, taxonomy, "alice", PASSWORD)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    store.db["users"].update("alice", {"password_hash": weak})
    assert accounts.authenticate(store, "alice", PASSWORD) is not None
    renewed = accounts.get_user(store, "alice").password_hash
    assert renewed != weak and not accounts.HASHER.check_needs_rehash(renewed)


def test_a_new_password_replaces_the_old_one(store, taxonomy):
    before = accounts.add_user(store, taxonomy, "alice", PASSWORD)
    after = accounts.set_password(store, "alice", "a different passphrase")
    assert after.password_hash != before.password_hash
    assert accounts.authenticate(store, "alice", PASSWORD) is None
    assert accounts.authenticate(store, "alice", "a different passphrase") is not None
    with pytest.raises(ValidationError, match="at least 10"):
        accounts.set_password(store, "alice", "tiny")


def test_changing_an_unknown_user_says_how_to_list_users(store):
    with pytest.raises(NotFound, match="kmsearch users list"):
        accounts.disable(store, "ghost")


def test_viewer_for_maps_a_name_to_its_account_or_a_plain_viewer(store, taxonomy):
    accounts.add_user(store, taxonomy, "cora", PASSWORD, roles=["contributor"],
                      divisions=["trade"])
    cora = accounts.viewer_for(store, "Cora")
    assert cora.roles == {"contributor"} and cora.divisions == {"trade"}
    stranger = accounts.viewer_for(store, "stranger")
    assert stranger.username == "stranger" and stranger.roles == {"viewer"}
    assert not stranger.divisions


# The users command group


def run(tmp_path, *args, input=None):
    db = ["--db", str(tmp_path / "k.db"), "--index-dir", str(tmp_path / "idx")]
    return CliRunner().invoke(cli, [*db, "users", *args], input=input)


def test_users_add_prompts_twice_for_a_hidden_password(tmp_path):
    result = run(tmp_path, "add", "alice", "--role", "contributor", "--division", "Trade",
                 input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "added alice (contributor) in trade" in result.output
    assert PASSWORD not in result.output
    store = Store(tmp_path / "k.db")
    assert accounts.authenticate(store, "alice", PASSWORD).divisions == {"trade"}
    store.close()


def test_users_add_refuses_passwords_that_do_not_match(tmp_path):
    result = run(tmp_path, "add", "alice", input=f"{PASSWORD}\nsomething else\n" * 3)
    assert result.exit_code != 0
    assert "do not match" in result.output


def test_users_add_reads_the_password_from_stdin(tmp_path):
    result = run(tmp_path, "add", "rita", "--role", "reviewer", "--password-stdin",
                 input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "added rita (reviewer)" in result.output


def test_users_add_reports_problems_and_exits_1(tmp_path):
    result = run(tmp_path, "add", "cora", "--role", "contributor", "--password-stdin",
                 input="short\n")
    assert result.exit_code == 1
    assert "error: user 'cora':password: must be at least 10 characters" in result.output
    assert "contributor needs at least one division" in result.output


def test_users_set_role_set_division_disable_enable_and_list(tmp_path):
    run(tmp_path, "add", "vic", "--password-stdin", input=f"{PASSWORD}\n")
    assert run(tmp_path, "set-division", "vic", "--division", "statistics").exit_code == 0
    result = run(tmp_path, "set-role", "vic", "--role", "contributor", "--role", "reviewer")
    assert "updated vic (contributor, reviewer) in statistics" in result.output
    assert "disabled vic" in run(tmp_path, "disable", "vic").output
    listing = run(tmp_path, "list").output.splitlines()
    assert listing[0].split() == ["username", "roles", "divisions", "status", "last", "sign-in",
                                  "e-mail"]
    assert listing[2].split() == ["vic", "contributor,", "reviewer", "statistics", "disabled",
                                  "never", "-"]
    assert "enabled vic" in run(tmp_path, "enable", "vic").output
    assert '"disabled": false' in run(tmp_path, "list", "--json").output


def test_users_set_password_reads_stdin_and_refuses_unknown_users(tmp_path):
    run(tmp_path, "add", "vic", "--password-stdin", input=f"{PASSWORD}\n")
    result = run(tmp_path, "set-password", "vic", "--password-stdin", input="a new passphrase\n")
    assert result.exit_code == 0 and "new password for vic" in result.output
    result = run(tmp_path, "set-password", "ghost", "--password-stdin", input="whatever123\n")
    assert result.exit_code == 1 and "No user named 'ghost'" in result.output


def test_users_commands_refuse_unknown_users_and_roles(tmp_path):
    result = run(tmp_path, "disable", "ghost")
    assert result.exit_code == 1 and "No user named 'ghost'" in result.output
    result = run(tmp_path, "set-role", "ghost", "--role", "emperor")
    assert result.exit_code == 2 and "'emperor' is not one of" in result.output


@pytest.mark.parametrize(
    "command", ["add", "set-role", "set-division", "set-password", "disable", "enable", "list"]
)
def test_every_users_command_has_help(tmp_path, command):
    result = run(tmp_path, command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output
