/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dcompasswd: administers the local NTLM accounts (src/rpc/auth/accounts.h) as Samba's
 * smbpasswd administers Samba's:
 *
 *   dcompasswd                 lists the accounts, "NAME:RID:enabled|disabled" a line
 *   dcompasswd -a [-s] USER    adds USER, or sets the password of an existing USER
 *   dcompasswd [-s] USER       sets the password of USER, who must exist
 *   dcompasswd -x USER         deletes USER
 *   dcompasswd -d USER         disables USER
 *   dcompasswd -e USER         enables USER
 *
 * The password is read as one line: from standard input with -s or when standard
 * input is not a terminal (one trailing LF or CRLF stripped, at most PASSWORD_MAX
 * bytes), else typed twice at the terminal without echo.  An empty password is refused
 * (an account anyone could log on to; smbpasswd needs -n for it).  Nothing prints a
 * hash.  The account file is root's, so every operation, listing included, needs root
 * for the system's store.
 *
 * Exit status: 0 done (and said so on stdout), 1 failed (one line on stderr: what,
 * on what, what to do), 2 bad command line.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/version.h"
#include "rpc/auth/accounts.h"

#define PASSWORD_MAX 512        /* bytes of one password line, without its line end */

enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,
        EXIT_USAGE = 2,
};

enum mode {
        MODE_LIST,
        MODE_CHANGE,            /* USER alone */
        MODE_ADD,               /* -a */
        MODE_DELETE,            /* -x */
        MODE_DISABLE,           /* -d */
        MODE_ENABLE,            /* -e */
};

static const char *account_file = "the account file";      /* its path, once known */

static void usage(FILE *f) {
        fputs("Usage: dcompasswd [-a | -x | -d | -e] [-s] [USER]\n"
              "Administer the local NTLM accounts of OpenDCOM (like Samba's smbpasswd).\n"
              "\n"
              "  (no USER)      list the accounts: NAME:RID:enabled|disabled\n"
              "  USER           set the password of the existing account USER\n"
              "  -a, --add      add USER, or set its password if it exists\n"
              "  -x, --delete   delete USER\n"
              "  -d, --disable  disable USER\n"
              "  -e, --enable   enable USER\n"
              "  -s, --stdin    read the password as one line from standard input, without\n"
              "                 prompting (also the case when standard input is no terminal)\n"
              "  -h, --help     show this help\n"
              "      --version  show the version\n"
              "\n"
              "Examples:\n"
              "  printf 'S3cret\\n' | dcompasswd -a -s alice    add alice (or set her password)\n"
              "  dcompasswd -d alice                            disable alice\n"
              "\n"
              "Exit status: 0 done, 1 failed, 2 bad usage.\n",
              f);
}

static int usage_error(const char *msg) {
        fprintf(stderr, "dcompasswd: %s\nTry 'dcompasswd --help' for more information.\n", msg);
        return EXIT_USAGE;
}

/* A user-supplied name for a message: control bytes as \xNN, so it cannot drive the terminal. */
static void put_name(FILE *f, const char *s) {
        fputc('\'', f);
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c < 0x20 || c == 0x7f || c == '\\')
                        fprintf(f, "\\x%02x", c);
                else
                        fputc(c, f);
        }
        fputc('\'', f);
}

/* One line for a failed account-file operation; verb is "read" or "update". */
static int fail(int r, const char *verb) {
        switch (r) {
        case -EACCES:
        case -EPERM:
                fprintf(stderr, "dcompasswd: cannot %s the account file %s: %s -- run as root\n",
                        verb, account_file, strerror(EACCES));
                break;
        case -EBADMSG:
                fprintf(stderr, "dcompasswd: the account file %s is corrupt -- repair or restore "
                        "it (DCOM_DEBUG=auth names the bad line)\n", account_file);
                break;
        case -EFBIG:
                fprintf(stderr, "dcompasswd: the account file %s is too large to be an account "
                        "file -- repair or restore it\n", account_file);
                break;
        default:
                fprintf(stderr, "dcompasswd: cannot %s the account file %s: %s\n", verb,
                        account_file, strerror(-r));
                break;
        }
        return EXIT_FAIL;
}

static int bad_name(const char *name) {
        fputs("dcompasswd: ", stderr);
        put_name(stderr, name);
        fprintf(stderr, " is not a valid account name: it takes 1 to %d bytes of UTF-8, "
                "without ':' or control characters\n", ACCOUNT_NAME_MAX);
        return EXIT_FAIL;
}

static int no_such_account(const char *name) {
        fputs("dcompasswd: there is no account ", stderr);
        put_name(stderr, name);
        fputs(" (dcompasswd with no argument lists them; -a adds one)\n", stderr);
        return EXIT_FAIL;
}

/* ---- Reading the password ----------------------------------------------------------- */

static struct termios saved_termios;
static volatile sig_atomic_t echo_off;

static void restore_echo(void) {
        if (echo_off) {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
                echo_off = 0;
        }
}

/* Interrupted at the prompt: give the terminal its echo back, then die of the signal. */
static void on_signal(int sig) {
        restore_echo();
        signal(sig, SIG_DFL);
        raise(sig);
}

static const int prompt_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void set_signals(void (*handler)(int)) {
        for (size_t i = 0; i < sizeof prompt_signals / sizeof prompt_signals[0]; i++)
                signal(prompt_signals[i], handler);
}

/*
 * One line from fd into buf (PASSWORD_MAX + 2 bytes), terminated, its line end
 * stripped.  Reads a byte at a time so nothing past the line is consumed and no copy
 * of the password stays in a stdio buffer.  -ENODATA at end of input before any byte,
 * -EMSGSIZE for a longer line, -EILSEQ for a NUL byte.
 */
static int read_line(int fd, char *buf, size_t *ret_len) {
        size_t n = 0;
        bool any = false, lf = false;

        for (;;) {
                char c;
                ssize_t k = read(fd, &c, 1);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                any = true;
                if (c == '\n') {
                        lf = true;
                        break;
                }
                if (n == PASSWORD_MAX + 1)      /* room for one '\r' past the limit */
                        return -EMSGSIZE;
                buf[n++] = c;
        }
        if (!any)
                return -ENODATA;
        if (lf && n > 0 && buf[n - 1] == '\r')
                n--;
        if (n > PASSWORD_MAX)
                return -EMSGSIZE;
        buf[n] = 0;
        if (memchr(buf, 0, n))
                return -EILSEQ;
        *ret_len = n;
        return 0;
}

static int prompt(const char *text, char *buf, size_t *ret_len) {
        struct termios t;
        int r;

        /* Echo off before the prompt shows, so no answer typed after it can be echoed. */
        if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
                return -errno;
        t = saved_termios;
        t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
        set_signals(on_signal);
        echo_off = 1;
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0) {
                r = -errno;
                echo_off = 0;
                set_signals(SIG_DFL);
                return r;
        }
        fputs(text, stderr);
        fflush(stderr);
        r = read_line(STDIN_FILENO, buf, ret_len);
        restore_echo();
        set_signals(SIG_DFL);
        fputc('\n', stderr);
        return r;
}

/* The new password into buf; 0 or an exit status after saying why. */
static int get_password(bool from_stdin, char *buf) {
        char again[PASSWORD_MAX + 2];
        size_t n = 0, m = 0;
        int r;

        if (from_stdin || !isatty(STDIN_FILENO)) {
                r = read_line(STDIN_FILENO, buf, &n);
        } else {
                r = prompt("New password: ", buf, &n);
                if (r == 0) {
                        r = prompt("Retype new password: ", again, &m);
                        if (r == 0 && (m != n || memcmp(buf, again, n) != 0)) {
                                explicit_bzero(again, sizeof again);
                                fputs("dcompasswd: the passwords do not match; "
                                      "nothing was changed\n", stderr);
                                return EXIT_FAIL;
                        }
                }
                explicit_bzero(again, sizeof again);
        }
        switch (r) {
        case 0:
                break;
        case -ENODATA:
                fputs("dcompasswd: no password on standard input (give it as one line)\n", stderr);
                return EXIT_FAIL;
        case -EMSGSIZE:
                fprintf(stderr, "dcompasswd: the password is longer than %d bytes\n", PASSWORD_MAX);
                return EXIT_FAIL;
        case -EILSEQ:
                fputs("dcompasswd: the password contains a NUL byte\n", stderr);
                return EXIT_FAIL;
        default:
                fprintf(stderr, "dcompasswd: cannot read the password: %s\n", strerror(-r));
                return EXIT_FAIL;
        }
        if (n == 0) {
                fputs("dcompasswd: refusing an empty password (anyone could log on with it)\n",
                      stderr);
                return EXIT_FAIL;
        }
        return 0;
}

/* ---- Operations ------------------------------------------------------------------------ */

static int list(void) {
        struct account *v;
        size_t n;
        int r;

        r = accounts_list(&v, &n);
        if (r < 0)
                return fail(r, "read");
        for (size_t i = 0; i < n; i++)
                printf("%s:%u:%s\n", v[i].name, (unsigned)v[i].rid,
                       v[i].disabled ? "disabled" : "enabled");
        if (v)
                explicit_bzero(v, n * sizeof *v);
        dcom_free(v);
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "dcompasswd: cannot write the list: %s\n", strerror(errno));
                return EXIT_FAIL;
        }
        return EXIT_OK;
}

static int set_password(const char *name, bool add, bool from_stdin) {
        char pw[PASSWORD_MAX + 2];
        struct account a;
        bool existed;
        int r;

        /* Everything that can be checked is, before the password is asked for. */
        r = accounts_lookup(name, &a);
        if (r == -EINVAL)
                return bad_name(name);
        if (r == -ENOENT && !add)
                return no_such_account(name);
        if (r < 0 && r != -ENOENT)
                return fail(r, "read");
        existed = r == 0;
        r = get_password(from_stdin, pw);
        if (r != 0) {
                explicit_bzero(pw, sizeof pw);
                return r;
        }
        r = accounts_set_password(name, pw);
        explicit_bzero(pw, sizeof pw);
        if (r == -EILSEQ) {
                fputs("dcompasswd: the password is not valid UTF-8; nothing was changed\n", stderr);
                return EXIT_FAIL;
        }
        if (r < 0)
                return fail(r, "update");
        r = accounts_lookup(name, &a);
        if (r < 0)
                return fail(r, "read");
        if (existed)
                printf("Changed the password of %s.\n", a.name);
        else
                printf("Added account %s (RID %u).\n", a.name, (unsigned)a.rid);
        explicit_bzero(&a, sizeof a);
        return EXIT_OK;
}

static int delete(const char *name) {
        struct account a;
        int r;

        r = accounts_lookup(name, &a);
        if (r == -EINVAL)
                return bad_name(name);
        if (r == -ENOENT)
                return no_such_account(name);
        if (r < 0)
                return fail(r, "read");
        r = accounts_delete(name);
        if (r == -ENOENT)
                return no_such_account(name);           /* deleted meanwhile */
        if (r < 0)
                return fail(r, "update");
        printf("Deleted account %s.\n", a.name);
        explicit_bzero(&a, sizeof a);
        return EXIT_OK;
}

static int set_disabled(const char *name, bool disabled) {
        const char *state = disabled ? "disabled" : "enabled";
        struct account a;
        int r;

        r = accounts_lookup(name, &a);
        if (r == -EINVAL)
                return bad_name(name);
        if (r == -ENOENT)
                return no_such_account(name);
        if (r < 0)
                return fail(r, "read");
        explicit_bzero(a.nt_hash, sizeof a.nt_hash);
        if (a.disabled == disabled) {
                printf("Account %s is already %s.\n", a.name, state);
                return EXIT_OK;
        }
        r = accounts_set_disabled(name, disabled);
        if (r == -ENOENT)
                return no_such_account(name);
        if (r < 0)
                return fail(r, "update");
        printf("%s account %s.\n", disabled ? "Disabled" : "Enabled", a.name);
        return EXIT_OK;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "add", no_argument, NULL, 'a' },
                { "delete", no_argument, NULL, 'x' },
                { "disable", no_argument, NULL, 'd' },
                { "enable", no_argument, NULL, 'e' },
                { "stdin", no_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { 0 },
        };
        enum mode mode = MODE_LIST;
        bool from_stdin = false;
        char *path = NULL;
        const char *name;
        int c, r = EXIT_FAIL;

        while ((c = getopt_long(argc, argv, "axdesh", options, NULL)) != -1) {
                enum mode m;

                switch (c) {
                case 'a':
                        m = MODE_ADD;
                        break;
                case 'x':
                        m = MODE_DELETE;
                        break;
                case 'd':
                        m = MODE_DISABLE;
                        break;
                case 'e':
                        m = MODE_ENABLE;
                        break;
                case 's':
                        from_stdin = true;
                        continue;
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                case 'V':
                        printf("dcompasswd (OpenDCOM) %s\n", OPENDCOM_VERSION);
                        return EXIT_OK;
                default:        /* getopt has said what is wrong */
                        fputs("Try 'dcompasswd --help' for more information.\n", stderr);
                        return EXIT_USAGE;
                }
                if (mode != MODE_LIST && mode != m)
                        return usage_error("-a, -x, -d and -e exclude one another");
                mode = m;
        }
        if (argc - optind > 1)
                return usage_error("one USER at a time");
        name = optind < argc ? argv[optind] : NULL;
        if (!name && (mode != MODE_LIST || from_stdin))
                return usage_error("which account? USER is missing");
        if (name && mode == MODE_LIST)
                mode = MODE_CHANGE;

        r = accounts_path(&path);
        if (r == -EINVAL) {
                fputs("dcompasswd: OPENDCOM_ROOT must be an absolute path\n", stderr);
                return EXIT_FAIL;
        }
        if (r < 0) {
                fprintf(stderr, "dcompasswd: cannot locate the account file: %s\n", strerror(-r));
                return EXIT_FAIL;
        }
        account_file = path;

        switch (mode) {
        case MODE_LIST:
                r = list();
                break;
        case MODE_CHANGE:
        case MODE_ADD:
                r = set_password(name, mode == MODE_ADD, from_stdin);
                break;
        case MODE_DELETE:
                r = delete(name);
                break;
        case MODE_DISABLE:
        case MODE_ENABLE:
                r = set_disabled(name, mode == MODE_DISABLE);
                break;
        }
        if (r == EXIT_OK && (fflush(stdout) != 0 || ferror(stdout))) {
                /* The change is made; only its report was lost. */
                fprintf(stderr, "dcompasswd: done, but cannot write to standard output: %s\n",
                        strerror(errno));
                r = EXIT_FAIL;
        }
        dcom_free(path);
        return r;
}
