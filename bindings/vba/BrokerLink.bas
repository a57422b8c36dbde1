Attribute VB_Name = "BrokerLink"
' BrokerLink.bas: brokerlink for Excel (and other VBA hosts), Office 2010 or
' later, 32-bit or 64-bit. Log in to Indian brokers' REST APIs (Angel One
' SmartAPI, Noren OMS) and read the account's profile and funds.
'
' Import this module into the workbook (VBA editor: File > Import File) and
' put brokerlink.dll, built for the same bitness as Office, in the
' workbook's folder. bindings/vba/README.md walks through it.
'
'     Dim session As LongPtr
'     session = BrokerNew(configJson)
'     BrokerLogin session, credentialsJson
'     Range("B5").Value = BrokerJsonField(BrokerGetRms(session), "available_cash")
'     BrokerFree session
'
' Every Broker* function that fails raises a VBA error: Err.Number is
' BROKERLINK_ERROR + the status (BrokerErrorStatus(Err.Number) gives the
' status back), Err.Description holds the status name and the message, and
' BrokerLastErrorJson() the whole error object (broker_code, http_status...).
'
' Strings cross to the library as UTF-8 byte arrays, converted by Windows'
' WideCharToMultiByte and MultiByteToWideChar: a Declare taking
' "ByVal ... As String" would convert to the ANSI code page and corrupt
' non-ASCII text. 64-bit Office calls the library's C exports (broker_*);
' 32-bit Office can only call stdcall functions, which the library exports
' as brokervb_* twins of the same functions.
Option Explicit

' The library version and ABI number ((major * 65536) + minor) this module was written for.
Private Const EXPECTED_VERSION As String = "0.1.0"
Private Const EXPECTED_ABI_VERSION As Long = 0 * 65536 + 1

' Err.Number of a failed call is BROKERLINK_ERROR + its status (1 to 13).
Public Const BROKERLINK_ERROR As Long = vbObjectError + 1000
' Err.Number when brokerlink.dll cannot be loaded or is another version.
Public Const BROKERLINK_ERROR_LIBRARY As Long = vbObjectError + 1100

' The status codes of brokerlink.h.
Public Const BROKER_OK As Long = 0
Public Const BROKER_ERR_INVALID_ARGUMENT As Long = 1
Public Const BROKER_ERR_INVALID_HANDLE As Long = 2
Public Const BROKER_ERR_NOT_LOGGED_IN As Long = 3
Public Const BROKER_ERR_AUTH As Long = 4
Public Const BROKER_ERR_SESSION_EXPIRED As Long = 5
Public Const BROKER_ERR_RATE_LIMITED As Long = 6
Public Const BROKER_ERR_BROKER As Long = 7
Public Const BROKER_ERR_NETWORK As Long = 8
Public Const BROKER_ERR_TIMEOUT As Long = 9
Public Const BROKER_ERR_TLS As Long = 10
Public Const BROKER_ERR_PROTOCOL As Long = 11
Public Const BROKER_ERR_UNSUPPORTED As Long = 12
Public Const BROKER_ERR_INTERNAL As Long = 13

Private Const CP_UTF8 As Long = 65001
Private Const ERROR_MOD_NOT_FOUND As Long = 126
Private Const ERROR_BAD_EXE_FORMAT As Long = 193

#If Win64 Then
' 64-bit Office: the C exports (Windows x64 has a single calling convention).
Private Declare PtrSafe Function bl_version Lib "brokerlink.dll" Alias "broker_version" () As LongPtr
Private Declare PtrSafe Function bl_abi_version Lib "brokerlink.dll" Alias "broker_abi_version" () As Long
Private Declare PtrSafe Function bl_status_name Lib "brokerlink.dll" Alias "broker_status_name" (ByVal status As Long) As LongPtr
Private Declare PtrSafe Function bl_new Lib "brokerlink.dll" Alias "broker_new" (ByVal configJson As LongPtr, ByRef outSession As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Sub bl_free Lib "brokerlink.dll" Alias "broker_free" (ByVal session As LongPtr)
Private Declare PtrSafe Function bl_login_url Lib "brokerlink.dll" Alias "broker_login_url" (ByVal session As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Function bl_login Lib "brokerlink.dll" Alias "broker_login" (ByVal session As LongPtr, ByVal credentialsJson As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Function bl_refresh Lib "brokerlink.dll" Alias "broker_refresh" (ByVal session As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Function bl_get_profile Lib "brokerlink.dll" Alias "broker_get_profile" (ByVal session As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Function bl_get_rms Lib "brokerlink.dll" Alias "broker_get_rms" (ByVal session As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Function bl_logout Lib "brokerlink.dll" Alias "broker_logout" (ByVal session As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Function bl_session_export Lib "brokerlink.dll" Alias "broker_session_export" (ByVal session As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Function bl_session_import Lib "brokerlink.dll" Alias "broker_session_import" (ByVal session As LongPtr, ByVal stateJson As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Function bl_totp Lib "brokerlink.dll" Alias "broker_totp" (ByVal base32Secret As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Sub bl_string_free Lib "brokerlink.dll" Alias "broker_string_free" (ByVal pointer As LongPtr)
Private Declare PtrSafe Sub bl_set_logger Lib "brokerlink.dll" Alias "broker_set_logger" (ByVal callback As LongPtr, ByVal user As LongPtr)
#Else
' 32-bit Office: the stdcall twins.
Private Declare PtrSafe Function bl_version Lib "brokerlink.dll" Alias "brokervb_version" () As LongPtr
Private Declare PtrSafe Function bl_abi_version Lib "brokerlink.dll" Alias "brokervb_abi_version" () As Long
Private Declare PtrSafe Function bl_status_name Lib "brokerlink.dll" Alias "brokervb_status_name" (ByVal status As Long) As LongPtr
Private Declare PtrSafe Function bl_new Lib "brokerlink.dll" Alias "brokervb_new" (ByVal configJson As LongPtr, ByRef outSession As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Sub bl_free Lib "brokerlink.dll" Alias "brokervb_free" (ByVal session As LongPtr)
Private Declare PtrSafe Function bl_login_url Lib "brokerlink.dll" Alias "brokervb_login_url" (ByVal session As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Function bl_login Lib "brokerlink.dll" Alias "brokervb_login" (ByVal session As LongPtr, ByVal credentialsJson As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Function bl_refresh Lib "brokerlink.dll" Alias "brokervb_refresh" (ByVal session As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Function bl_get_profile Lib "brokerlink.dll" Alias "brokervb_get_profile" (ByVal session As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Function bl_get_rms Lib "brokerlink.dll" Alias "brokervb_get_rms" (ByVal session As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Function bl_logout Lib "brokerlink.dll" Alias "brokervb_logout" (ByVal session As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Function bl_session_export Lib "brokerlink.dll" Alias "brokervb_session_export" (ByVal session As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Function bl_session_import Lib "brokerlink.dll" Alias "brokervb_session_import" (ByVal session As LongPtr, ByVal stateJson As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Function bl_totp Lib "brokerlink.dll" Alias "brokervb_totp" (ByVal base32Secret As LongPtr, ByRef outJson As LongPtr) As Long
Private Declare PtrSafe Sub bl_string_free Lib "brokerlink.dll" Alias "brokervb_string_free" (ByVal pointer As LongPtr)
Private Declare PtrSafe Sub bl_set_logger Lib "brokerlink.dll" Alias "brokervb_set_logger" (ByVal callback As LongPtr, ByVal user As LongPtr)
#End If

' Windows: loading the library from a chosen folder, and UTF-8 <-> UTF-16.
Private Declare PtrSafe Function LoadLibraryW Lib "kernel32" (ByVal lpLibFileName As LongPtr) As LongPtr
Private Declare PtrSafe Function lstrlenA Lib "kernel32" (ByVal lpString As LongPtr) As Long
Private Declare PtrSafe Function MultiByteToWideChar Lib "kernel32" (ByVal CodePage As Long, ByVal dwFlags As Long, ByVal lpMultiByteStr As LongPtr, ByVal cbMultiByte As Long, ByVal lpWideCharStr As LongPtr, ByVal cchWideChar As Long) As Long
Private Declare PtrSafe Function WideCharToMultiByte Lib "kernel32" (ByVal CodePage As Long, ByVal dwFlags As Long, ByVal lpWideCharStr As LongPtr, ByVal cchWideChar As Long, ByVal lpMultiByteStr As LongPtr, ByVal cbMultiByte As Long, ByVal lpDefaultChar As LongPtr, ByVal lpUsedDefaultChar As LongPtr) As Long

Private libraryLoaded As Boolean
Private lastErrorJson As String

' The folder brokerlink.dll is loaded from: the workbook's own. Change this
' one line to keep the DLL elsewhere, or in a host other than Excel.
Private Function LibraryFolder() As String
    LibraryFolder = ThisWorkbook.Path
End Function

' Loads brokerlink.dll from LibraryFolder() once, and checks its version.
' Loading it by full path first means every Declare above finds the
' already-loaded module, whatever Excel's current directory is.
Private Sub EnsureLoaded()
    Dim dllPath As String
    Dim lastError As Long
    If libraryLoaded Then Exit Sub
    If LibraryFolder() = "" Then RaiseLibraryError "save the workbook first: brokerlink.dll is loaded from the workbook's folder"
    dllPath = LibraryFolder() & "\brokerlink.dll"
    If LoadLibraryW(StrPtr(dllPath)) = 0 Then
        lastError = Err.LastDllError
        If lastError = ERROR_BAD_EXE_FORMAT Then
            #If Win64 Then
                RaiseLibraryError dllPath & " is a 32-bit DLL, but this Office is 64-bit: use the 64-bit brokerlink.dll"
            #Else
                RaiseLibraryError dllPath & " is a 64-bit DLL, but this Office is 32-bit: use the 32-bit brokerlink.dll"
            #End If
        ElseIf lastError = ERROR_MOD_NOT_FOUND And Dir$(dllPath) = "" Then
            RaiseLibraryError "brokerlink.dll was not found in " & LibraryFolder() & ": put it next to the workbook"
        ElseIf lastError = ERROR_MOD_NOT_FOUND Then
            ' The DLL is there, but a DLL it needs is not: the Visual C++ runtime.
            RaiseLibraryError dllPath & " needs the Microsoft Visual C++ Redistributable: install it, or use a brokerlink.dll built with the static runtime"
        Else
            RaiseLibraryError "could not load " & dllPath & " (Windows error " & lastError & ")"
        End If
    End If
    If bl_abi_version() <> EXPECTED_ABI_VERSION Then
        RaiseLibraryError dllPath & " is version " & FromUtf8(bl_version()) & ", but this module needs version " & EXPECTED_VERSION & ": use the matching BrokerLink.bas and brokerlink.dll"
    End If
    libraryLoaded = True
End Sub

Private Sub RaiseLibraryError(ByVal message As String)
    Err.Raise BROKERLINK_ERROR_LIBRARY, "BrokerLink", message
End Sub

' The text as NUL-terminated UTF-8. Pass VarPtr(bytes(0)) and keep the
' array alive until the call returns.
Private Function ToUtf8(ByVal utf16 As String, ByVal argument As String) As Byte()
    Dim bytes() As Byte
    Dim size As Long
    If InStr(utf16, vbNullChar) > 0 Then
        ' The library would see the text cut short at the NUL.
        lastErrorJson = ""
        Err.Raise BROKERLINK_ERROR + BROKER_ERR_INVALID_ARGUMENT, "BrokerLink", "INVALID_ARGUMENT: " & argument & " contains a NUL character"
    End If
    If Len(utf16) = 0 Then
        ReDim bytes(0)
    Else
        size = WideCharToMultiByte(CP_UTF8, 0, StrPtr(utf16), Len(utf16), 0, 0, 0, 0)
        ' Indices 0 to size: the last byte stays 0, the terminating NUL.
        ReDim bytes(size)
        WideCharToMultiByte CP_UTF8, 0, StrPtr(utf16), Len(utf16), VarPtr(bytes(0)), size, 0, 0
    End If
    ToUtf8 = bytes
End Function

' A NUL-terminated UTF-8 string at `pointer` as a VBA string.
Private Function FromUtf8(ByVal pointer As LongPtr) As String
    Dim size As Long
    Dim chars As Long
    Dim utf16 As String
    If pointer = 0 Then Exit Function
    size = lstrlenA(pointer)
    If size = 0 Then Exit Function
    chars = MultiByteToWideChar(CP_UTF8, 0, pointer, size, 0, 0)
    utf16 = String$(chars, vbNullChar)
    MultiByteToWideChar CP_UTF8, 0, pointer, size, StrPtr(utf16), chars
    FromUtf8 = utf16
End Function

' Reads and frees a returned string; raises the error when status is not BROKER_OK.
Private Function TakeResult(ByVal status As Long, ByVal json As LongPtr) As String
    Dim result As String
    result = FromUtf8(json)
    bl_string_free json
    If status <> BROKER_OK Then
        lastErrorJson = result
        Err.Raise BROKERLINK_ERROR + status, "BrokerLink", BrokerStatusName(status) & ": " & BrokerJsonField(result, "message")
    End If
    TakeResult = result
End Function

' The library's version, e.g. "0.1.0".
Public Function BrokerVersion() As String
    EnsureLoaded
    BrokerVersion = FromUtf8(bl_version())
End Function

' The name of a status code, e.g. "SESSION_EXPIRED" for 5, or "UNKNOWN".
Public Function BrokerStatusName(ByVal status As Long) As String
    EnsureLoaded
    BrokerStatusName = FromUtf8(bl_status_name(status))
End Function

' The status of a VBA error raised by this module, or -1 for any other error.
Public Function BrokerErrorStatus(ByVal errNumber As Long) As Long
    If errNumber >= BROKERLINK_ERROR And errNumber <= BROKERLINK_ERROR + 99 Then
        BrokerErrorStatus = errNumber - BROKERLINK_ERROR
    Else
        BrokerErrorStatus = -1
    End If
End Function

' The error object of the last call that failed, e.g.
' {"status":4,"code":"AUTH","message":"...","broker_code":"AB1007",...}.
Public Function BrokerLastErrorJson() As String
    BrokerLastErrorJson = lastErrorJson
End Function

' Why the broker refused in the last call that failed, for a refusal the
' user can fix: "ip_not_registered", "clock_skew", "totp_rejected",
' "mpin_required", "password_change_required", "login_method_closed",
' "api_not_enabled" or "daily_limit_reached" (see brokerlink.h); "" when
' the error names none. Show your own help for each.
Public Function BrokerLastErrorReason() As String
    BrokerLastErrorReason = BrokerJsonField(lastErrorJson, "reason") & ""
End Function

' Creates a logged-out session from the config JSON and returns its handle.
' No network call is made. Free it with BrokerFree.
Public Function BrokerNew(ByVal configJson As String) As LongPtr
    Dim config() As Byte
    Dim session As LongPtr
    Dim json As LongPtr
    Dim status As Long
    EnsureLoaded
    config = ToUtf8(configJson, "configJson")
    status = bl_new(VarPtr(config(0)), session, json)
    TakeResult status, json
    BrokerNew = session
End Function

' Frees a session. 0, or a session already freed, is ignored.
Public Sub BrokerFree(ByVal session As LongPtr)
    EnsureLoaded
    bl_free session
End Sub

' The browser address where the user logs in: {"url":"https://..."}.
Public Function BrokerLoginUrl(ByVal session As LongPtr) As String
    Dim json As LongPtr
    EnsureLoaded
    BrokerLoginUrl = TakeResult(bl_login_url(session, json), json)
End Function

' Logs in, e.g. with {"pin":"1234","totp_secret":"BASE32"} for Angel One.
Public Function BrokerLogin(ByVal session As LongPtr, ByVal credentialsJson As String) As String
    Dim credentials() As Byte
    Dim json As LongPtr
    EnsureLoaded
    credentials = ToUtf8(credentialsJson, "credentialsJson")
    BrokerLogin = TakeResult(bl_login(session, VarPtr(credentials(0)), json), json)
End Function

' Trades the refresh token for new tokens.
Public Function BrokerRefresh(ByVal session As LongPtr) As String
    Dim json As LongPtr
    EnsureLoaded
    BrokerRefresh = TakeResult(bl_refresh(session, json), json)
End Function

' The account holder's profile.
Public Function BrokerGetProfile(ByVal session As LongPtr) As String
    Dim json As LongPtr
    EnsureLoaded
    BrokerGetProfile = TakeResult(bl_get_profile(session, json), json)
End Function

' Funds and margins: {"available_cash":12554.55,"net":...}.
Public Function BrokerGetRms(ByVal session As LongPtr) As String
    Dim json As LongPtr
    EnsureLoaded
    BrokerGetRms = TakeResult(bl_get_rms(session, json), json)
End Function

' Ends the session at the broker; the handle can log in again.
Public Function BrokerLogout(ByVal session As LongPtr) As String
    Dim json As LongPtr
    EnsureLoaded
    BrokerLogout = TakeResult(bl_logout(session, json), json)
End Function

' The session state with its tokens. A SECRET: never store it in a workbook.
Public Function BrokerSessionExport(ByVal session As LongPtr) As String
    Dim json As LongPtr
    EnsureLoaded
    BrokerSessionExport = TakeResult(bl_session_export(session, json), json)
End Function

' Resumes a state from BrokerSessionExport, replacing any current login.
Public Function BrokerSessionImport(ByVal session As LongPtr, ByVal stateJson As String) As String
    Dim state() As Byte
    Dim json As LongPtr
    EnsureLoaded
    state = ToUtf8(stateJson, "stateJson")
    BrokerSessionImport = TakeResult(bl_session_import(session, VarPtr(state(0)), json), json)
End Function

' The current TOTP code for a base32 secret: {"code":"123456","valid_for_s":17}.
Public Function BrokerTotp(ByVal base32Secret As String) As String
    Dim secret() As Byte
    Dim json As LongPtr
    EnsureLoaded
    secret = ToUtf8(base32Secret, "base32Secret")
    BrokerTotp = TakeResult(bl_totp(VarPtr(secret(0)), json), json)
End Function

' Sends every session's log lines to a VBA procedure, or stops with 0:
'     BrokerSetLogger AddressOf OnBrokerLog
' where, in a standard module:
'     Public Sub OnBrokerLog(ByVal level As Long, ByVal line As LongPtr, ByVal user As LongPtr)
'         Debug.Print BrokerLogLine(line)
'     End Sub
' The procedure runs inside the brokerlink call that logs, on Excel's thread.
' A log file (config key log_file) is the simpler choice for most workbooks.
Public Sub BrokerSetLogger(ByVal callbackAddress As LongPtr)
    EnsureLoaded
    bl_set_logger callbackAddress, 0
End Sub

' The text of a log line handed to a BrokerSetLogger procedure.
Public Function BrokerLogLine(ByVal line As LongPtr) As String
    BrokerLogLine = FromUtf8(line)
End Function

' The text as a quoted JSON string, for building config and credentials:
' "{""pin"":" & BrokerJsonString(pin) & "}".
Public Function BrokerJsonString(ByVal value As String) As String
    Dim out As String
    Dim i As Long
    Dim c As String
    For i = 1 To Len(value)
        c = Mid$(value, i, 1)
        Select Case AscW(c)
            Case 34: out = out & "\"""
            Case 92: out = out & "\\"
            Case 0 To 31: out = out & "\u" & Right$("000" & Hex$(AscW(c)), 4)
            Case Else: out = out & c
        End Select
    Next i
    BrokerJsonString = """" & out & """"
End Function

' One top-level field of a JSON object: a String for a string, a Double for
' a number, True or False, Null for null, the JSON text for an object or an
' array, and Empty when the field is absent.
Public Function BrokerJsonField(ByVal json As String, ByVal key As String) As Variant
    Dim at As Long
    Dim fieldName As String
    BrokerJsonField = Empty
    at = SkipSpace(json, 1)
    If Mid$(json, at, 1) <> "{" Then Exit Function
    at = at + 1
    Do
        at = SkipSpace(json, at)
        If Mid$(json, at, 1) <> """" Then Exit Function
        fieldName = ReadJsonString(json, at)
        at = SkipSpace(json, at)
        If Mid$(json, at, 1) <> ":" Then Exit Function
        at = SkipSpace(json, at + 1)
        If fieldName = key Then
            BrokerJsonField = ReadJsonValue(json, at)
            Exit Function
        End If
        SkipJsonValue json, at
        at = SkipSpace(json, at)
        If Mid$(json, at, 1) <> "," Then Exit Function
        at = at + 1
    Loop
End Function

Private Function SkipSpace(ByRef json As String, ByVal at As Long) As Long
    Do While at <= Len(json)
        Select Case Mid$(json, at, 1)
            Case " ", vbTab, vbCr, vbLf: at = at + 1
            Case Else: Exit Do
        End Select
    Loop
    SkipSpace = at
End Function

' The JSON string starting at the quote at `at`, unescaped; leaves `at` after it.
Private Function ReadJsonString(ByRef json As String, ByRef at As Long) As String
    Dim out As String
    Dim c As String
    at = at + 1
    Do While at <= Len(json)
        c = Mid$(json, at, 1)
        If c = """" Then
            at = at + 1
            Exit Do
        ElseIf c = "\" Then
            at = at + 1
            Select Case Mid$(json, at, 1)
                Case "n": out = out & vbLf
                Case "r": out = out & vbCr
                Case "t": out = out & vbTab
                Case "b": out = out & ChrW$(8)
                Case "f": out = out & ChrW$(12)
                Case "u"
                    ' UTF-16 code units, so a surrogate pair is two escapes as written.
                    out = out & ChrW$(CLng("&H" & Mid$(json, at + 1, 4)))
                    at = at + 4
                Case Else: out = out & Mid$(json, at, 1) ' \" \\ \/
            End Select
        Else
            out = out & c
        End If
        at = at + 1
    Loop
    ReadJsonString = out
End Function

Private Function ReadJsonValue(ByRef json As String, ByVal at As Long) As Variant
    Dim start As Long
    start = at
    Select Case Mid$(json, at, 1)
        Case """"
            ReadJsonValue = ReadJsonString(json, at)
        Case "{", "["
            SkipJsonValue json, at
            ReadJsonValue = Mid$(json, start, at - start)
        Case "t"
            ReadJsonValue = True
        Case "f"
            ReadJsonValue = False
        Case "n"
            ReadJsonValue = Null
        Case Else
            ' Val reads "." as the decimal point whatever the regional settings.
            SkipJsonValue json, at
            ReadJsonValue = Val(Mid$(json, start, at - start))
    End Select
End Function

' Moves `at` past the value starting there (a scalar stops at its delimiter).
Private Sub SkipJsonValue(ByRef json As String, ByRef at As Long)
    Dim depth As Long
    Do While at <= Len(json)
        Select Case Mid$(json, at, 1)
            Case """"
                ReadJsonString json, at
                If depth = 0 Then Exit Sub
            Case "{", "["
                depth = depth + 1
                at = at + 1
            Case "}", "]"
                If depth = 0 Then Exit Sub
                depth = depth - 1
                at = at + 1
                If depth = 0 Then Exit Sub
            Case ","
                If depth = 0 Then Exit Sub
                at = at + 1
            Case Else
                at = at + 1
        End Select
    Loop
End Sub
