//! The C ABI as a host calls it: a handle shared by threads, strings taken
//! and freed with `broker_string_free`.

use brokerlink::ffi::*;
use std::ffi::{CStr, CString, c_char};

/// A session handle: the registry id `broker_new` gave, shared by threads.
#[derive(Clone, Copy)]
pub struct Handle(usize);

/// A read: `broker_get_profile` or `broker_get_rms`.
pub type Read = unsafe extern "C" fn(*mut BrokerSession, *mut *mut c_char) -> i32;

/// The status and the JSON text a call wrote (freed here).
fn take(status: i32, out: *mut c_char) -> (i32, String) {
    let text = if out.is_null() {
        String::new()
    } else {
        let text = unsafe { CStr::from_ptr(out) }
            .to_string_lossy()
            .into_owned();
        unsafe { broker_string_free(out) };
        text
    };
    (status, text)
}

impl Handle {
    /// `broker_new`; panics when the config is refused (a bug in the soak).
    pub fn new(config: &str) -> Handle {
        let config = CString::new(config).unwrap();
        let mut session = std::ptr::null_mut();
        let mut out = std::ptr::null_mut();
        let status = unsafe { broker_new(config.as_ptr(), &mut session, &mut out) };
        let (status, text) = take(status, out);
        assert_eq!(status, 0, "broker_new: {text}");
        Handle(session as usize)
    }

    fn ptr(self) -> *mut BrokerSession {
        self.0 as *mut BrokerSession
    }

    /// `broker_login`.
    pub fn login(self, credentials: &str) -> (i32, String) {
        let credentials = CString::new(credentials).unwrap();
        let mut out = std::ptr::null_mut();
        let status = unsafe { broker_login(self.ptr(), credentials.as_ptr(), &mut out) };
        take(status, out)
    }

    /// Any call that takes only the session and writes JSON.
    pub fn call(self, f: Read) -> (i32, String) {
        let mut out = std::ptr::null_mut();
        let status = unsafe { f(self.ptr(), &mut out) };
        take(status, out)
    }

    /// The profile on every third call, funds on the others.
    pub fn read(self, i: usize) -> (i32, String) {
        self.call(if i.is_multiple_of(3) {
            broker_get_profile
        } else {
            broker_get_rms
        })
    }

    /// The session's exported state, as JSON.
    pub fn export(self) -> serde_json::Value {
        let (status, state) = self.call(broker_session_export);
        assert_eq!(status, 0, "export failed: {state}");
        serde_json::from_str(&state).expect("state JSON")
    }

    /// `broker_free`.
    pub fn free(self) {
        broker_free(self.ptr());
    }
}

/// `broker_status_name`.
pub fn status_name(status: i32) -> String {
    unsafe { CStr::from_ptr(broker_status_name(status)) }
        .to_string_lossy()
        .into_owned()
}

/// Whether `status` is `SESSION_EXPIRED`.
pub fn is_expired(status: i32) -> bool {
    status == brokerlink::Status::SessionExpired as i32
}

/// Whether `status` is `INVALID_HANDLE`.
pub fn is_invalid_handle(status: i32) -> bool {
    status == brokerlink::Status::InvalidHandle as i32
}

/// Whether a call failed with `RATE_LIMITED` because the library's own
/// pacing would have made it wait past its timeout (nothing was sent).
pub fn is_paced(status: i32, text: &str) -> bool {
    status == brokerlink::Status::RateLimited as i32 && text.contains("would make this call wait")
}
