// BrokerLink.cs: the .NET binding of brokerlink, one file with no NuGet
// dependencies. Log in to Indian brokers' REST APIs (Angel One SmartAPI,
// Noren OMS) and read the account's profile and funds as JSON.
//
// Add this file to any project: .NET Framework 4.x (C# 5 is enough), Mono,
// or modern .NET. Put the native library where the runtime finds
// "brokerlink": brokerlink.dll next to the .exe on Windows (the same
// bitness as the process), libbrokerlink.so on the library path on Linux
// (after `make install`, or with LD_LIBRARY_PATH), libbrokerlink.dylib on
// macOS.
//
//     using (var session = new BrokerLink.Session(configJson))
//     {
//         session.Login("{\"pin\":\"1234\",\"totp_secret\":\"BASE32SECRET\"}");
//         Console.WriteLine(session.GetRms()); // {"broker":"angelone","available_cash":...}
//     }
//
// Results are the library's JSON strings: parse them with the JSON library
// of your choice. Failures are thrown as BrokerException. A Session may be
// used from many threads at once; each call blocks for at most the
// configured timeout.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.ConstrainedExecution;
using System.Runtime.InteropServices;
using System.Text;

namespace BrokerLink
{
    /// <summary>The status codes of brokerlink.h. The numbers never change.</summary>
    public enum BrokerStatus
    {
        Ok = 0,
        InvalidArgument = 1,
        InvalidHandle = 2,
        NotLoggedIn = 3,
        Auth = 4,
        SessionExpired = 5,
        RateLimited = 6,
        Broker = 7,
        Network = 8,
        Timeout = 9,
        Tls = 10,
        Protocol = 11,
        Unsupported = 12,
        Internal = 13,
    }

    /// <summary>
    /// A brokerlink call failed. The properties are the fields of the
    /// library's error object; Message is written for a person.
    /// </summary>
    public class BrokerException : Exception
    {
        private readonly BrokerStatus status;
        private readonly string code;
        private readonly string brokerCode;
        private readonly string brokerMessage;
        private readonly int? httpStatus;
        private readonly bool retryable;
        private readonly string reason;
        private readonly string json;

        /// <summary>Builds the exception from a status and the error JSON the call wrote.</summary>
        public BrokerException(int status, string errorJson)
            : this(status, errorJson ?? "", FlatJson.Read(errorJson ?? ""))
        {
        }

        private BrokerException(int status, string errorJson, Dictionary<string, string> fields)
            : base(MessageOf(status, fields))
        {
            this.status = (BrokerStatus)status;
            json = errorJson;
            code = Field(fields, "code") ?? BrokerLibrary.StatusName(status);
            brokerCode = Field(fields, "broker_code");
            brokerMessage = Field(fields, "broker_message");
            int http;
            if (int.TryParse(Field(fields, "http_status"), NumberStyles.None, CultureInfo.InvariantCulture, out http))
            {
                httpStatus = http;
            }
            retryable = Field(fields, "retryable") == "true";
            reason = Field(fields, "reason");
        }

        /// <summary>The status, e.g. BrokerStatus.Auth.</summary>
        public BrokerStatus Status { get { return status; } }

        /// <summary>The status name, e.g. "AUTH".</summary>
        public string Code { get { return code; } }

        /// <summary>The broker's own error code, or null.</summary>
        public string BrokerCode { get { return brokerCode; } }

        /// <summary>The broker's own message, or null.</summary>
        public string BrokerMessage { get { return brokerMessage; } }

        /// <summary>The HTTP status of the broker's reply, or null.</summary>
        public int? HttpStatus { get { return httpStatus; } }

        /// <summary>Whether the same call may succeed if retried later.</summary>
        public bool Retryable { get { return retryable; } }

        /// <summary>Why the broker refused, for a refusal the user can fix
        /// ("ip_not_registered", "clock_skew", ...: see brokerlink.h), or null.</summary>
        public string Reason { get { return reason; } }

        /// <summary>The whole error object as the library wrote it.</summary>
        public string Json { get { return json; } }

        private static string Field(Dictionary<string, string> fields, string key)
        {
            string value;
            return fields.TryGetValue(key, out value) ? value : null;
        }

        private static string MessageOf(int status, Dictionary<string, string> fields)
        {
            string message = Field(fields, "message");
            return string.IsNullOrEmpty(message) ? "brokerlink call failed with status " + status : message;
        }
    }

    /// <summary>
    /// The native library could not be loaded, or is a version this binding
    /// cannot use. Thrown by every call until the library is replaced.
    /// </summary>
    public class BrokerLibraryException : Exception
    {
        public BrokerLibraryException(string message, Exception inner) : base(message, inner)
        {
        }
    }

    /// <summary>The native library: its version, and the calls that need no session.</summary>
    public static class BrokerLibrary
    {
        /// <summary>The library version this binding was written for.</summary>
        public const string ExpectedVersion = "0.1.0";

        /// <summary>The ABI number this binding needs: (major &lt;&lt; 16) | minor.</summary>
        public const uint ExpectedAbiVersion = (0u << 16) | 1u;

        private static readonly string loadError;
        private static readonly Exception loadErrorCause;

        // Runs once, at the first use of the binding: a missing or mismatched
        // library is reported then, not as a crash on some later call whose
        // signature differs.
        static BrokerLibrary()
        {
            try
            {
                uint abi = NativeMethods.broker_abi_version();
                if (abi != ExpectedAbiVersion)
                {
                    loadError = string.Format(
                        CultureInfo.InvariantCulture,
                        "brokerlink: the loaded native library is version {0} (ABI 0x{1:x}), but this binding needs ABI 0x{2:x} (version {3}): install the matching library",
                        Utf8.Read(NativeMethods.broker_version()), abi, ExpectedAbiVersion, ExpectedVersion);
                }
            }
            catch (DllNotFoundException e)
            {
                loadError = "brokerlink: the native library was not found: put brokerlink.dll (Windows) or libbrokerlink.so (Linux) where the runtime looks for it";
                loadErrorCause = e;
            }
            catch (EntryPointNotFoundException e)
            {
                loadError = "brokerlink: the library found as \"brokerlink\" is not brokerlink";
                loadErrorCause = e;
            }
            catch (BadImageFormatException e)
            {
                loadError = "brokerlink: the native library is for another architecture (a 32-bit library in a 64-bit process, or the reverse)";
                loadErrorCause = e;
            }
        }

        /// <summary>Throws BrokerLibraryException when the library is missing or mismatched.</summary>
        public static void EnsureLoaded()
        {
            if (loadError != null)
            {
                throw new BrokerLibraryException(loadError, loadErrorCause);
            }
        }

        /// <summary>The loaded library's version, "MAJOR.MINOR.PATCH".</summary>
        public static string Version
        {
            get
            {
                EnsureLoaded();
                return Utf8.Read(NativeMethods.broker_version());
            }
        }

        /// <summary>The loaded library's ABI number.</summary>
        public static uint AbiVersion
        {
            get
            {
                EnsureLoaded();
                return NativeMethods.broker_abi_version();
            }
        }

        /// <summary>The name of a status code, e.g. "SESSION_EXPIRED", or "UNKNOWN".</summary>
        public static string StatusName(int status)
        {
            EnsureLoaded();
            return Utf8.Read(NativeMethods.broker_status_name(status));
        }

        /// <summary>The current TOTP code for a base32 secret: {"code":"123456","valid_for_s":17}.</summary>
        public static string Totp(string base32Secret)
        {
            EnsureLoaded();
            IntPtr json;
            int status = NativeMethods.broker_totp(Utf8.Encode(base32Secret, "base32Secret"), out json);
            return Utf8.TakeResult(status, json);
        }
    }

    /// <summary>
    /// One broker session. Dispose it (or use `using`) to free it; a session
    /// that is never disposed is freed by the finalizer. Calls after Dispose
    /// throw ObjectDisposedException.
    /// </summary>
    public sealed class Session : IDisposable
    {
        private readonly SessionHandle handle;
        private readonly string description;

        /// <summary>
        /// Creates a logged-out session from the config JSON (see the README for
        /// every key). No network call is made. Throws BrokerException on a bad
        /// config and BrokerLibraryException on a missing or mismatched library.
        /// </summary>
        public Session(string configJson)
        {
            BrokerLibrary.EnsureLoaded();
            byte[] config = Utf8.Encode(configJson, "configJson");
            IntPtr json;
            SessionHandle created;
            int status = NativeMethods.broker_new(config, out created, out json);
            if (status != 0)
            {
                // The library set the handle to NULL; nothing to free.
                created.SetHandleAsInvalid();
            }
            description = Utf8.TakeResult(status, json);
            handle = created;
        }

        /// <summary>What the library reported about the new session (broker, base_url, user_id, ...).</summary>
        public string Description { get { return description; } }

        /// <summary>The browser address where the user logs in: {"url":"https://..."}.</summary>
        public string LoginUrl()
        {
            IntPtr json;
            int status = NativeMethods.broker_login_url(Live(), out json);
            return Utf8.TakeResult(status, json);
        }

        /// <summary>Logs in, e.g. with {"pin":"1234","totp_secret":"BASE32"} for Angel One.</summary>
        public string Login(string credentialsJson)
        {
            byte[] credentials = Utf8.Encode(credentialsJson, "credentialsJson");
            IntPtr json;
            int status = NativeMethods.broker_login(Live(), credentials, out json);
            return Utf8.TakeResult(status, json);
        }

        /// <summary>Trades the refresh token for new tokens.</summary>
        public string Refresh()
        {
            IntPtr json;
            int status = NativeMethods.broker_refresh(Live(), out json);
            return Utf8.TakeResult(status, json);
        }

        /// <summary>The account holder's profile.</summary>
        public string GetProfile()
        {
            IntPtr json;
            int status = NativeMethods.broker_get_profile(Live(), out json);
            return Utf8.TakeResult(status, json);
        }

        /// <summary>Funds and margins; amounts are exact JSON numbers in rupees.</summary>
        public string GetRms()
        {
            IntPtr json;
            int status = NativeMethods.broker_get_rms(Live(), out json);
            return Utf8.TakeResult(status, json);
        }

        /// <summary>Ends the session at the broker; the Session can log in again.</summary>
        public string Logout()
        {
            IntPtr json;
            int status = NativeMethods.broker_logout(Live(), out json);
            return Utf8.TakeResult(status, json);
        }

        /// <summary>The session state with its tokens. A SECRET: store it encrypted.</summary>
        public string ExportState()
        {
            IntPtr json;
            int status = NativeMethods.broker_session_export(Live(), out json);
            return Utf8.TakeResult(status, json);
        }

        /// <summary>Resumes a state from ExportState, replacing any current login.</summary>
        public string ImportState(string stateJson)
        {
            byte[] state = Utf8.Encode(stateJson, "stateJson");
            IntPtr json;
            int status = NativeMethods.broker_session_import(Live(), state, out json);
            return Utf8.TakeResult(status, json);
        }

        /// <summary>Frees the session. Disposing twice does nothing.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        private SessionHandle Live()
        {
            // The marshaler would throw too, but with a less helpful message.
            if (handle.IsClosed)
            {
                throw new ObjectDisposedException("BrokerLink.Session");
            }
            return handle;
        }
    }

    /// <summary>
    /// Owns a session handle. The runtime releases it exactly once, never
    /// while a call is using it, and from the finalizer thread when the
    /// Session was not disposed: broker_free is safe from any thread.
    /// </summary>
    internal sealed class SessionHandle : SafeHandle
    {
        // The marshaler creates the instance for broker_new's out parameter.
        public SessionHandle() : base(IntPtr.Zero, true)
        {
        }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        [ReliabilityContract(Consistency.WillNotCorruptState, Cer.Success)]
        protected override bool ReleaseHandle()
        {
            NativeMethods.broker_free(handle);
            return true;
        }
    }

    /// <summary>UTF-8 both ways, by hand: UnmanagedType.LPUTF8Str is missing from .NET Framework.</summary>
    internal static class Utf8
    {
        /// <summary>The text as NUL-terminated UTF-8.</summary>
        internal static byte[] Encode(string text, string name)
        {
            if (text == null)
            {
                throw new ArgumentNullException(name);
            }
            if (text.IndexOf('\0') >= 0)
            {
                // C would see the text cut short at the NUL.
                throw new ArgumentException("contains a NUL character", name);
            }
            byte[] bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
            Encoding.UTF8.GetBytes(text, 0, text.Length, bytes, 0);
            return bytes;
        }

        /// <summary>A NUL-terminated UTF-8 string the library owns, as a .NET string.</summary>
        internal static string Read(IntPtr text)
        {
            if (text == IntPtr.Zero)
            {
                return null;
            }
            int length = 0;
            while (Marshal.ReadByte(text, length) != 0)
            {
                length++;
            }
            byte[] bytes = new byte[length];
            Marshal.Copy(text, bytes, 0, length);
            return Encoding.UTF8.GetString(bytes);
        }

        /// <summary>Reads and frees a returned string; throws BrokerException unless status is 0.</summary>
        internal static string TakeResult(int status, IntPtr json)
        {
            string text;
            try
            {
                text = Read(json);
            }
            finally
            {
                NativeMethods.broker_string_free(json);
            }
            if (status != 0)
            {
                throw new BrokerException(status, text);
            }
            return text;
        }
    }

    /// <summary>
    /// Reads the top-level fields of a flat JSON object, the shape of the
    /// error object: strings unescaped, other values as their text. Nested
    /// values are kept as text, not interpreted.
    /// </summary>
    internal static class FlatJson
    {
        internal static Dictionary<string, string> Read(string text)
        {
            var fields = new Dictionary<string, string>();
            int at = 0;
            SkipSpace(text, ref at);
            if (at >= text.Length || text[at] != '{')
            {
                return fields;
            }
            at++;
            while (true)
            {
                SkipSpace(text, ref at);
                string key = ReadString(text, ref at);
                SkipSpace(text, ref at);
                if (key == null || at >= text.Length || text[at] != ':')
                {
                    return fields;
                }
                at++;
                SkipSpace(text, ref at);
                string value = at < text.Length && text[at] == '"' ? ReadString(text, ref at) : ReadOther(text, ref at);
                if (value == null)
                {
                    return fields;
                }
                fields[key] = value;
                SkipSpace(text, ref at);
                if (at >= text.Length || text[at] != ',')
                {
                    return fields;
                }
                at++;
            }
        }

        private static void SkipSpace(string text, ref int at)
        {
            while (at < text.Length && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r'))
            {
                at++;
            }
        }

        /// <summary>A number, literal, object or array, as its text.</summary>
        private static string ReadOther(string text, ref int at)
        {
            int start = at;
            int depth = 0;
            for (; at < text.Length; at++)
            {
                char c = text[at];
                if (c == '"')
                {
                    if (ReadString(text, ref at) == null)
                    {
                        return null;
                    }
                    at--; // the loop steps past the closing quote
                }
                else if (c == '{' || c == '[')
                {
                    depth++;
                }
                else if ((c == '}' || c == ']') && depth > 0)
                {
                    depth--;
                }
                else if ((c == ',' || c == '}') && depth == 0)
                {
                    break;
                }
            }
            return text.Substring(start, at - start).Trim();
        }

        /// <summary>The string starting at a quote, unescaped; null when malformed.</summary>
        private static string ReadString(string text, ref int at)
        {
            if (at >= text.Length || text[at] != '"')
            {
                return null;
            }
            var value = new StringBuilder();
            for (at++; at < text.Length; at++)
            {
                char c = text[at];
                if (c == '"')
                {
                    at++;
                    return value.ToString();
                }
                if (c != '\\')
                {
                    value.Append(c);
                    continue;
                }
                if (++at >= text.Length)
                {
                    return null;
                }
                switch (text[at])
                {
                    case '"': value.Append('"'); break;
                    case '\\': value.Append('\\'); break;
                    case '/': value.Append('/'); break;
                    case 'b': value.Append('\b'); break;
                    case 'f': value.Append('\f'); break;
                    case 'n': value.Append('\n'); break;
                    case 'r': value.Append('\r'); break;
                    case 't': value.Append('\t'); break;
                    case 'u':
                        int code;
                        if (at + 4 >= text.Length || !int.TryParse(text.Substring(at + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out code))
                        {
                            return null;
                        }
                        // .NET strings are UTF-16, so a surrogate pair is two chars as written.
                        value.Append((char)code);
                        at += 4;
                        break;
                    default:
                        return null;
                }
            }
            return null;
        }
    }

    /// <summary>The exports of brokerlink.h, cdecl, with UTF-8 passed as bytes.</summary>
    internal static class NativeMethods
    {
        // Resolves to brokerlink.dll, libbrokerlink.so or libbrokerlink.dylib.
        private const string Library = "brokerlink";

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr broker_version();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint broker_abi_version();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr broker_status_name(int status);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int broker_new(byte[] configJson, out SessionHandle session, out IntPtr json);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        [ReliabilityContract(Consistency.WillNotCorruptState, Cer.Success)]
        internal static extern void broker_free(IntPtr session);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int broker_login_url(SessionHandle session, out IntPtr json);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int broker_login(SessionHandle session, byte[] credentialsJson, out IntPtr json);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int broker_refresh(SessionHandle session, out IntPtr json);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int broker_get_profile(SessionHandle session, out IntPtr json);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int broker_get_rms(SessionHandle session, out IntPtr json);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int broker_logout(SessionHandle session, out IntPtr json);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int broker_session_export(SessionHandle session, out IntPtr json);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int broker_session_import(SessionHandle session, byte[] stateJson, out IntPtr json);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int broker_totp(byte[] base32Secret, out IntPtr json);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void broker_string_free(IntPtr text);
    }
}
