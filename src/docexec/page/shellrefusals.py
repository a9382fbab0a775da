"""What the shell subset refuses and says (page.shellwords), and the few forms it reads as something simpler: a
tutorial's `<placeholder>` is named as one, not as a redirection; `$(pwd)` and `` `pwd` `` are $PWD."""

from __future__ import annotations

import re

REFUSED = {
    ";": "';' runs two commands: put each command on its own '$ ' line",
    "&": "'&' and '&&' are not supported: put each command on its own '$ ' line (use -d to run in the background)",
    "<": "redirections ('<', '<<') are not supported: page text is never handed to a shell",
    ">": "redirections ('>', '2>&1') are not supported: a command's output is recorded for you "
         "(stdout and stderr together); write files inside a container with `docker exec NAME sh -c '...'`",
    "`": "backticks are not supported: use $(...)",
    "(": "subshells are not supported",
    ")": "unbalanced ')'",
    "*": "unquoted '*' would be expanded by the shell (glob): quote it",
    "?": "unquoted '?' would be expanded by the shell (glob): quote it",
    "[": "unquoted '[' would be expanded by the shell (glob): quote it",
    "{": "unquoted '{' may be expanded by the shell (brace expansion): quote it",
    "}": "unquoted '}' may be expanded by the shell (brace expansion): quote it",
}

TILDE = ("'~' at the start of a word (or after NAME= or ':' in an assignment) is tilde expansion: the reader's "
         "home (~, ~user) or working folders (~+, ~-); write the path out, or use $PWD")


# `$(pwd)` and `pwd` in backticks are $PWD, the page's working folder (where every command runs).
PWD_SUBST = re.compile(r"\$\([ \t]*pwd[ \t]*\)")
PWD_BACKTICKS = re.compile(r"`[ \t]*pwd[ \t]*`")
# `<container_id>`, `<id>`: a placeholder of a tutorial, not a redirection.
PLACEHOLDER = re.compile(r"<([A-Za-z_\u4e00-\u9fff][\w.\-\u4e00-\u9fff]*)>")
COMMENT_CONTINUED = ("a comment runs to the end of its line: a '\\' at the end of a comment does not continue the "
                     "command (put the comment on the command's last line)")


def refusal(s: str, i: int) -> str:
    """Why the character at i is refused: a placeholder `<name>` is named as one."""
    m = PLACEHOLDER.match(s, i)
    if m:
        return (f"'{m.group(0)}' looks like a placeholder: write the real name (containers in lessons are named "
                "with --name …, and a page refers to them by that name or by a variable set with "
                "NAME=$(docker run -d …))")
    return REFUSED[s[i]]
