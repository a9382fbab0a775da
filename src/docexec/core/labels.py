"""The labels docexec puts on what it makes in a Docker daemon, so that it can find (and remove) exactly that."""

LABEL = "io.docexec.run"  # on every container, network and volume a page creates; value: the run's id
IMAGE_LABEL = "io.docexec.image"  # on lesson images; value: the content hash they were built from
