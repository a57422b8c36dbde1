// FlowTest.cs: drives BrokerLink.cs through one broker's whole flow against
// brokersim. tests/bindings_dotnet.rs compiles it together with
// BrokerLink.cs using Mono's mcs (as C# 5, warnings as errors) and runs it
// with mono once per flow, the flow described in the BROKERLINK_TEST_*
// environment variables (see bindings/cpp/tests/flow_test.cpp for the list).
//
// With the argument --expect-wrong-abi it instead expects the library on
// the path to report another ABI version, and checks that the binding
// refuses it.
//
// Prints one line per check and ends with "N passed, M failed".

using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using BrokerLink;

internal static class FlowTest
{
    private static int passed;
    private static int failed;

    // Raw entry points, to look behind the binding: a session id that the
    // finalizer freed must be unknown to the library afterwards.
    [DllImport("brokerlink", CallingConvention = CallingConvention.Cdecl)]
    private static extern int broker_get_rms(IntPtr session, out IntPtr json);

    [DllImport("brokerlink", CallingConvention = CallingConvention.Cdecl)]
    private static extern void broker_string_free(IntPtr text);

    /// <summary>
    /// Logs in as a user does: with the flow's credentials, or, for a browser
    /// login (BROKERLINK_TEST_BROWSE names brokersim), through LoginUrl's page
    /// played by `brokersim browse` and the address it redirects to.
    /// </summary>
    private static string LogIn(Session session)
    {
        string browse = Environment.GetEnvironmentVariable("BROKERLINK_TEST_BROWSE");
        if (browse == null)
        {
            return session.Login(Env("BROKERLINK_TEST_CREDENTIALS"));
        }
        string page = session.LoginUrl();
        const string key = "\"url\":\"";
        int start = page.IndexOf(key, StringComparison.Ordinal) + key.Length;
        string url = page.Substring(start, page.IndexOf('"', start) - start);
        var info = new System.Diagnostics.ProcessStartInfo(browse, "browse \"" + url + "\"")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
        };
        string redirect;
        using (var process = System.Diagnostics.Process.Start(info))
        {
            redirect = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
        }
        return session.Login("{\"redirect_url\":\"" + redirect + "\"}");
    }

    private static string Env(string name)
    {
        string value = Environment.GetEnvironmentVariable(name);
        if (value == null)
        {
            Console.Error.WriteLine(name + " is not set: run this through tests/bindings_dotnet.rs");
            Environment.Exit(2);
        }
        return value;
    }

    private static void Check(string name, Func<bool> body)
    {
        bool ok = false;
        string why = "";
        try
        {
            ok = body();
        }
        catch (BrokerException e)
        {
            why = ": BrokerException " + e.Json;
        }
        catch (Exception e)
        {
            why = ": " + e;
        }
        Console.WriteLine((ok ? "ok   " : "FAIL ") + name + why);
        if (ok)
        {
            passed++;
        }
        else
        {
            failed++;
        }
    }

    /// <summary>Runs the call and returns the BrokerException it throws, or null.</summary>
    private static BrokerException Thrown(Action call)
    {
        try
        {
            call();
        }
        catch (BrokerException e)
        {
            return e;
        }
        return null;
    }

    private static bool Has(string text, string needle)
    {
        return text != null && text.Contains(needle);
    }

    /// <summary>
    /// Creates and logs in a session that nobody disposes, on a thread of its
    /// own so that no stale stack slot keeps it alive, and returns its raw id.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IntPtr AbandonedSession(string config)
    {
        IntPtr id = IntPtr.Zero;
        var thread = new Thread(() =>
        {
            var session = new Session(config);
            LogIn(session);
            id = Handle(session);
        });
        thread.Start();
        thread.Join();
        return id;
    }

    private static IntPtr Handle(Session session)
    {
        var field = typeof(Session).GetField("handle", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);
        return ((SafeHandle)field.GetValue(session)).DangerousGetHandle();
    }

    /// <summary>The status the library gives for a raw session id.</summary>
    private static int RawRmsStatus(IntPtr id)
    {
        IntPtr json;
        int status = broker_get_rms(id, out json);
        broker_string_free(json);
        return status;
    }

    private static int ExpectWrongAbi()
    {
        Check("a library with another ABI is refused", () =>
        {
            try
            {
                new Session("{}");
            }
            catch (BrokerLibraryException e)
            {
                return Has(e.Message, "99.0.0") && Has(e.Message, "needs ABI 0x1");
            }
            return false;
        });
        Check("and refused again on every call", () =>
        {
            try
            {
                BrokerLibrary.Totp("JBSWY3DPEHPK3PXP");
            }
            catch (BrokerLibraryException)
            {
                return true;
            }
            return false;
        });
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    private static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "--expect-wrong-abi")
        {
            return ExpectWrongAbi();
        }
        string config = Env("BROKERLINK_TEST_CONFIG");
        string badCredentials = Env("BROKERLINK_TEST_BAD_CREDENTIALS");
        string userId = "\"user_id\":\"" + Env("BROKERLINK_TEST_USER_ID") + "\"";
        string cash = "\"available_cash\":" + Env("BROKERLINK_TEST_CASH");
        bool canRefresh = Env("BROKERLINK_TEST_REFRESH") == "1";
        Console.WriteLine("flow: " + Env("BROKERLINK_TEST_FLOW"));

        Check("the library matches the binding", () =>
            BrokerLibrary.Version == BrokerLibrary.ExpectedVersion
            && BrokerLibrary.AbiVersion == BrokerLibrary.ExpectedAbiVersion
            && BrokerLibrary.StatusName(5) == "SESSION_EXPIRED");

        Check("login, profile, rms, logout", () =>
        {
            using (var session = new Session(config))
            {
                bool described = Has(session.Description, "\"broker\"");
                bool loggedIn = Has(LogIn(session), userId);
                bool profile = Has(session.GetProfile(), userId);
                bool rms = Has(session.GetRms(), cash);
                bool loggedOut = Has(session.Logout(), "\"logged_out\":true");
                var after = Thrown(() => session.GetRms());
                return described && loggedIn && profile && rms && loggedOut
                    && after != null && after.Status == BrokerStatus.NotLoggedIn;
            }
        });

        Check("refresh keeps the session working", () =>
        {
            using (var session = new Session(config))
            {
                LogIn(session);
                if (!canRefresh)
                {
                    var refused = Thrown(() => session.Refresh());
                    return refused != null && refused.Status == BrokerStatus.Unsupported;
                }
                return Has(session.Refresh(), userId) && Has(session.GetRms(), cash);
            }
        });

        Check("an exported session resumes in another Session", () =>
        {
            using (var first = new Session(config))
            using (var second = new Session(config))
            {
                LogIn(first);
                return Has(second.ImportState(first.ExportState()), userId) && Has(second.GetRms(), cash);
            }
        });

        Check("refused credentials throw BrokerException with every field", () =>
        {
            using (var session = new Session(config))
            {
                var e = Thrown(() => session.Login(badCredentials));
                return e != null && e.Status == BrokerStatus.Auth && e.Code == "AUTH"
                    // Angel One sends a code (AB1007); Noren only a message (emsg).
                    && (!string.IsNullOrEmpty(e.BrokerCode) || !string.IsNullOrEmpty(e.BrokerMessage))
                    && !string.IsNullOrEmpty(e.Message)
                    && !e.Retryable && Has(e.Json, "\"status\":4");
            }
        });

        Check("a bad config throws InvalidArgument without broker fields", () =>
        {
            var e = Thrown(() => new Session("{\"broker\":\"nope\"}"));
            return e != null && e.Status == BrokerStatus.InvalidArgument && e.BrokerCode == null && e.HttpStatus == null;
        });

        Check("a disposed session throws ObjectDisposedException, and disposing twice is harmless", () =>
        {
            var session = new Session(config);
            LogIn(session);
            IntPtr id = Handle(session);
            session.Dispose();
            session.Dispose();
            try
            {
                session.GetRms();
                return false;
            }
            catch (ObjectDisposedException)
            {
            }
            // The library has really forgotten it.
            return RawRmsStatus(id) == (int)BrokerStatus.InvalidHandle;
        });

        Check("the finalizer frees a session nobody disposed", () =>
        {
            // Each round abandons one session; the first one collected proves it.
            for (int round = 0; round < 10; round++)
            {
                IntPtr id = AbandonedSession(config);
                if (RawRmsStatus(id) != (int)BrokerStatus.Ok)
                {
                    return false; // alive until collected
                }
                GC.Collect();
                GC.WaitForPendingFinalizers();
                if (RawRmsStatus(id) == (int)BrokerStatus.InvalidHandle)
                {
                    return true;
                }
            }
            return false;
        });

        Check("non-ASCII text reaches the library intact", () =>
        {
            // The unknown key comes back, quoted, in the error message.
            const string key = "\u043a\u043b\u044e\u0447\u20b9"; // "ключ₹", escaped so the source stays ASCII
            var e = Thrown(() => new Session("{\"broker\":\"angelone\",\"api_key\":\"k\",\"client_code\":\"c\",\"" + key + "\":1}"));
            return e != null && e.Status == BrokerStatus.InvalidArgument && Has(e.Message, "\"" + key + "\"");
        });

        Check("a NUL inside an argument is refused", () =>
        {
            try
            {
                using (var session = new Session(config))
                {
                    session.Login("{\"pin\":\"1\0\"}");
                }
            }
            catch (ArgumentException)
            {
                return true;
            }
            return false;
        });

        Check("totp gives six digits and refuses a bad secret", () =>
        {
            var e = Thrown(() => BrokerLibrary.Totp("not base32!"));
            return Has(BrokerLibrary.Totp("JBSWY3DPEHPK3PXP"), "\"code\":\"")
                && e != null && e.Status == BrokerStatus.InvalidArgument;
        });

        Check("BrokerException reads every field of the error object", () =>
        {
            var e = new BrokerException(7,
                "{\"status\":7,\"code\":\"BROKER\",\"message\":\"say \\\"no\\\" \\u20b9 \\ud83d\\ude00 \\\\ done\","
                + "\"broker_code\":\"AB2001\",\"broker_message\":\"nested {\\\"x\\\":[1]}\",\"http_status\":503,\"retryable\":true}");
            return e.Status == BrokerStatus.Broker && e.Code == "BROKER"
                && e.Message == "say \"no\" \u20b9 \U0001F600 \\ done"
                && e.BrokerCode == "AB2001" && e.BrokerMessage == "nested {\"x\":[1]}"
                && e.HttpStatus == 503 && e.Retryable;
        });

        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
