/*
 * consumer.c: the smallest program that uses an installed brokerlink.
 * tests/packaging.rs builds it through pkg-config and through CMake, shared
 * and static, against `make install` into a temporary prefix, and runs it.
 */
#include <brokerlink.h>

#include <stdio.h>
#include <string.h>

int main(void)
{
    char *json = NULL;
    int32_t status;
    int ok;

    if (broker_abi_version() != BROKERLINK_ABI_VERSION || strcmp(broker_version(), BROKERLINK_VERSION) != 0) {
        fprintf(stderr, "library %s does not match brokerlink.h %s\n", broker_version(), BROKERLINK_VERSION);
        return 1;
    }
    status = broker_totp("JBSWY3DPEHPK3PXP", &json);
    ok = status == BROKER_OK && json != NULL && strstr(json, "\"code\":\"") != NULL;
    printf("brokerlink %s: totp %s %s\n", broker_version(), broker_status_name(status), json ? json : "");
    broker_string_free(json);
    return ok ? 0 : 1;
}
