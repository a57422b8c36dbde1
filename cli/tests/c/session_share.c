/*
 * session_share.c: a host program that shares its session with the
 * brokerlink command-line tool through a session file (config key
 * "session_file"). Run by cli/tests/it/shared_with_c.rs.
 *
 * usage: session_share CONFIG_JSON STEP...
 * STEP is login:CREDENTIALS_JSON, rms, refresh or wait (reads one line
 * from stdin: the test says "go on"). Prints one line per step,
 * "STEP STATUS JSON", and exits with the first failing status (0 when
 * every step worked); a failed broker_new prints "new STATUS JSON".
 */
#include "brokerlink.h"

#include <stdio.h>
#include <string.h>

static int32_t report(const char *step, int32_t rc, char *json)
{
    printf("%s %d %s\n", step, (int)rc, json ? json : "null");
    fflush(stdout);
    broker_string_free(json);
    return rc;
}

int main(int argc, char **argv)
{
    BrokerSession *s = NULL;
    char *json = NULL;
    int32_t rc, first = BROKER_OK;
    int i;
    char line[64];

    if (argc < 2) {
        fprintf(stderr, "usage: session_share CONFIG_JSON STEP...\n");
        return 64;
    }
    rc = broker_new(argv[1], &s, &json);
    if (report("new", rc, json) != BROKER_OK) {
        return rc;
    }
    for (i = 2; i < argc; i++) {
        const char *step = argv[i];
        json = NULL;
        if (strncmp(step, "login:", 6) == 0) {
            rc = report("login", broker_login(s, step + 6, &json), json);
        } else if (strcmp(step, "rms") == 0) {
            rc = broker_get_rms(s, &json);
            rc = report("rms", rc, json);
        } else if (strcmp(step, "refresh") == 0) {
            rc = broker_refresh(s, &json);
            rc = report("refresh", rc, json);
        } else if (strcmp(step, "wait") == 0) {
            rc = fgets(line, sizeof line, stdin) != NULL ? BROKER_OK : BROKER_ERR_INVALID_ARGUMENT;
            report("wait", rc, NULL);
        } else {
            fprintf(stderr, "unknown step %s\n", step);
            rc = BROKER_ERR_INVALID_ARGUMENT;
        }
        if (first == BROKER_OK) {
            first = rc;
        }
    }
    broker_free(s);
    return first;
}
