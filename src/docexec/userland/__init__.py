"""The programs of every lab host: Debian packages pinned in userland.lock (`lock`), fetched and unpacked with
Python alone (`debs`, `tree`), resolved anew with a private apt (`apt`), and the second engine's packages
(`engines`). Imports only `core`."""
