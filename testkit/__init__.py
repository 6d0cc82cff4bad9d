"""What tests and benchmarks share to run the real parts: the test policy (`policy`: skip locally,
fail under CI=true), real ACA-Py agents on free ports (`agents`), in-process dev peers with the
probe chaincode (`devpeer`, `probe_chaincode`) or the emissions chaincode (`ledger`), and the
consent flow's controllers with the auditor's service (`consent_stack`). Not shipped to users."""
