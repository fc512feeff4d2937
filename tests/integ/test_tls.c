/* test_tls.c — the TLS listener: register and talk over TLS, protocol floor. */
#include "harness.h"

#include <criterion/criterion.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>

TestSuite(tls, .timeout = 60);

/* A TLS client registers and talks with a plaintext client, both ways. */
Test(tls, register_and_talk)
{
    struct hv_opts o = { .tls = true };
    struct hv_server *s = hv_start(&o);
    struct hv_client *t = hv_connect_tls(s);
    hv_register(t, "secure");
    struct hv_client *p = hv_user(s, "plain");
    char tm[256], pm[256];
    snprintf(tm, sizeof tm, "%s", hv_mask(t));
    snprintf(pm, sizeof pm, "%s", hv_mask(p));
    hv_join(t, "#tls");
    hv_join(p, "#tls");
    hv_send(t, "PRIVMSG #tls :over TLS");
    hv_expect_exact(p, ":%s PRIVMSG #tls :over TLS", tm);
    hv_send(p, "PRIVMSG secure :in the clear");
    hv_expect_exact(t, ":%s PRIVMSG secure :in the clear", pm);
    hv_send(t, "QUIT :done");
    hv_expect(t, "^ERROR :");
    hv_expect(p, "^:%s QUIT :(Quit: )?done$", hv_re(tm));
    hv_stop(s);
}

/* TLS 1.2 and 1.3 are accepted; TLS 1.1 is refused by the server. */
Test(tls, protocol_versions)
{
    struct hv_opts o = { .tls = true };
    struct hv_server *s = hv_start(&o);
    bool local = false;
    cr_expect(hv_tls_try(s->tls_port, TLS1_3_VERSION, &local), "TLS 1.3 handshake failed");
    cr_expect(hv_tls_try(s->tls_port, TLS1_2_VERSION, &local), "TLS 1.2 handshake failed");
    bool ok = hv_tls_try(s->tls_port, TLS1_1_VERSION, &local);
    cr_expect(!ok, "TLS 1.1 handshake succeeded");
    cr_expect(!local, "OpenSSL refused TLS 1.1 locally: the test did not reach the server");
    /* the server survives refused handshakes */
    struct hv_client *t = hv_connect_tls(s);
    hv_register(t, "after");
    hv_stop(s);
}

/* Plain IRC sent to the TLS port does not register; the server stays up. */
Test(tls, plaintext_on_tls_port)
{
    struct hv_opts o = { .tls = true };
    struct hv_server *s = hv_start(&o);
    struct hv_server fake = *s;
    fake.port = s->tls_port;
    struct hv_client *c = hv_connect(&fake);
    hv_send(c, "NICK oops");
    hv_send(c, "USER oops 0 * :x");
    hv_expect_closed(c, 5000);
    cr_expect(hv_find(c, " 001 ") == NULL);
    struct hv_client *p = hv_user(s, "plain");
    (void)p;
    hv_stop(s);
}
