"""The newer CLI's wording rewritten into the older one's (docexec.clis), on outputs both CLIs really printed."""

from docexec.clis import as_older_cli

# `docker run --rm -v "$PWD"/site:/bin busybox ls /bin` on Engine 20.10: the container is created, its start fails.
START_28 = ('docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create '
            'failed: unable to start container process: exec: "ls": executable file not found in $PATH: unknown\n'
            "\nRun 'docker run --help' for more information\n")
START_20 = ('docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create '
            'failed: unable to start container process: exec: "ls": executable file not found in $PATH: unknown.\n')

# `docker run --mount type=bind,source=/lab/missing2,...`: refused before the container exists.
CREATE_28 = ('docker: Error response from daemon: invalid mount config for type "bind": bind source path does not '
             "exist: /lab/missing2\n\nRun 'docker run --help' for more information\n")
CREATE_20 = ('docker: Error response from daemon: invalid mount config for type "bind": bind source path does not '
             "exist: /lab/missing2.\nSee 'docker run --help'.\n")


def test_a_failed_start_has_no_help_hint_in_cli_20_10():
    assert as_older_cli(START_28) == START_20


def test_a_refused_create_keeps_the_help_hint():
    assert as_older_cli(CREATE_28) == CREATE_20


def test_the_older_cli_text_is_left_as_it_is():
    assert as_older_cli(START_20) == START_20
    assert as_older_cli(CREATE_20) == CREATE_20
