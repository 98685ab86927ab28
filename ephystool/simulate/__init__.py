"""Ground-truth generators and real-format writers for simulated recordings.

Every generator takes a ``seed`` or ``rng`` and returns ``(data, truth)``. The writers put the
simulated data into real vendor formats so that peer tools read the sample data too:
:mod:`ephystool.simulate.abf_writer` (Axon ABF 1.83, read by pyABF and neo) and
:mod:`ephystool.simulate.mcs_writer` (Multi Channel Systems HDF5, read by McsPy).
"""
