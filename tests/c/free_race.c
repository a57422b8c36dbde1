/*
 * free_race.c: broker_free on one thread while others are mid-call on the
 * same session. The calls in flight finish or fail cleanly, every later call
 * gets BROKER_ERR_INVALID_HANDLE, and nothing crashes or leaks (run under
 * valgrind by tests/c_abi.rs).
 *
 * usage: free_race BASE_URL
 */
#include "brokerlink.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define WORKERS 4

static BrokerSession *session;
static volatile int freed;

struct tally {
    int ok, invalid_handle, other, after_free_ok;
};

static void *worker(void *arg)
{
    struct tally *t = arg;
    for (;;) {
        int was_freed = freed;
        char *json = NULL;
        int32_t rc = broker_get_rms(session, &json);
        broker_string_free(json);
        if (rc == BROKER_OK) {
            t->ok++;
            /* A call that started after the free must not succeed. */
            if (was_freed) t->after_free_ok++;
        } else if (rc == BROKER_ERR_INVALID_HANDLE) {
            t->invalid_handle++;
            return NULL;
        } else {
            t->other++;
            fprintf(stderr, "unexpected status %s\n", broker_status_name(rc));
            return NULL;
        }
    }
}

int main(int argc, char **argv)
{
    char config[512];
    char *json = NULL;
    pthread_t threads[WORKERS];
    struct tally tallies[WORKERS];
    int i, failed = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s BASE_URL\n", argv[0]);
        return 2;
    }
    snprintf(config, sizeof config,
             "{\"broker\":\"angelone\",\"api_key\":\"demo-api-key\",\"client_code\":\"D12345\","
             "\"base_url\":\"%s\",\"timeout_ms\":20000,\"rate_limits\":\"off\"}",
             argv[1]);
    if (broker_new(config, &session, &json) != BROKER_OK) {
        fprintf(stderr, "new: %s\n", json);
        return 1;
    }
    broker_string_free(json);
    if (broker_login(session, "{\"pin\":\"1234\",\"totp_secret\":\"JBSWY3DPEHPK3PXP\"}", &json) != BROKER_OK) {
        fprintf(stderr, "login: %s\n", json);
        return 1;
    }
    broker_string_free(json);

    memset(tallies, 0, sizeof tallies);
    for (i = 0; i < WORKERS; i++) pthread_create(&threads[i], NULL, worker, &tallies[i]);
    while (tallies[0].ok < 5) { /* let the workers get going */
        struct timespec pause = {0, 1000000};
        nanosleep(&pause, NULL);
    }
    broker_free(session);
    freed = 1;
    for (i = 0; i < WORKERS; i++) {
        pthread_join(threads[i], NULL);
        failed |= tallies[i].invalid_handle != 1 || tallies[i].other != 0 || tallies[i].after_free_ok != 0;
        printf("worker %d: %d ok, then INVALID_HANDLE\n", i, tallies[i].ok);
    }
    broker_free(session); /* and again: harmless */
    printf("%d passed, %d failed\n", failed ? 0 : 1, failed ? 1 : 0);
    return failed;
}
