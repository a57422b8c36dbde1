/*
 * resume.c: a fresh process resumes a session exported by another one.
 * Run by tests/c_abi.rs, which logs in, exports the state to a file, and
 * starts this program.
 *
 * usage: resume CONFIG_JSON STATE_FILE
 * Prints the funds JSON and exits 0 when import and a funds read succeed.
 */
#include "brokerlink.h"

#include <stdio.h>
#include <stdlib.h>

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text;
    long size;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        if (f) fclose(f);
        return NULL;
    }
    text = malloc((size_t)size + 1);
    if (text != NULL && fread(text, 1, (size_t)size, f) == (size_t)size) {
        text[size] = '\0';
    } else {
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

int main(int argc, char **argv)
{
    BrokerSession *s = NULL;
    char *json = NULL;
    char *state;
    int32_t rc;

    if (argc != 3 || (state = read_file(argv[2])) == NULL) {
        fprintf(stderr, "usage: %s CONFIG_JSON STATE_FILE\n", argv[0]);
        return 2;
    }
    rc = broker_new(argv[1], &s, &json);
    broker_string_free(json);
    if (rc == BROKER_OK) {
        rc = broker_session_import(s, state, &json);
        printf("import: %s %s\n", broker_status_name(rc), json);
        broker_string_free(json);
    }
    if (rc == BROKER_OK) {
        rc = broker_get_rms(s, &json);
        printf("rms: %s %s\n", broker_status_name(rc), json);
        broker_string_free(json);
    }
    broker_free(s);
    free(state);
    return rc == BROKER_OK ? 0 : 1;
}
