//! A C program (cli/tests/c/session_share.c, on include/brokerlink.h and
//! the cdylib) and the tool share one session file across processes.
