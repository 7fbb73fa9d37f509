//! Socket options only some socket types accept: libzmq's per-type
//! `xsetsockopt` (router, dealer, req, sub, xsub, xpub, stream, radio).
//!
//! This module owns those option values and their validation: for every
//! (socket type, option) pair it gives libzmq 4.3.4's answer, including the
//! types that inherit another type's options (REP is a ROUTER underneath,
//! REQ a DEALER, PUB an XPUB). It knows nothing about sockets' runtime
//! state (RCVMORE, EVENTS, FD, LAST_ENDPOINT, TYPE, THREAD_SAFE) nor about
//! the options every type shares (`options`). SUBSCRIBE and UNSUBSCRIBE are
//! actions, not values: [`PatternOptions::set`] hands them back to the
//! caller as a [`PatternAction`].
//!
//! libzmq 4.3.4 has no per-type getsockopt: none of these options can be
//! read back, except ROUTER_NOTIFY, which libzmq keeps in `options_t` and
//! every socket type reports (draft builds only).
//!
//! Three of these options write into libzmq's `options_t` rather than the
//! socket: ROUTER_RAW (turns `raw_socket` on and `recv_routing_id` off for
//! good), ROUTER_NOTIFY and STREAM_NOTIFY. They are kept here; the socket
//! copies [`PatternOptions::router_raw_latched`] into its `Options`.

use crate::error::{Error, Result};

use super::options::{bool_strict, int_where, put_int, DRAFT};

// Option numbers (zmq.h of libzmq 4.3.4).
const SUBSCRIBE: i32 = 6;
const UNSUBSCRIBE: i32 = 7;
const ROUTER_MANDATORY: i32 = 33;
const XPUB_VERBOSE: i32 = 40;
const ROUTER_RAW: i32 = 41;
const PROBE_ROUTER: i32 = 51;
const REQ_CORRELATE: i32 = 52;
const REQ_RELAXED: i32 = 53;
const ROUTER_HANDOVER: i32 = 56;
const CONNECT_ROUTING_ID: i32 = 61;
const XPUB_NODROP: i32 = 69;
const XPUB_MANUAL: i32 = 71;
const XPUB_WELCOME_MSG: i32 = 72;
const STREAM_NOTIFY: i32 = 73;
const XPUB_VERBOSER: i32 = 78;
const ROUTER_NOTIFY: i32 = 97;
const XPUB_MANUAL_LAST_VALUE: i32 = 98;
const XSUB_VERBOSE_UNSUBSCRIBE: i32 = 115;
const ONLY_FIRST_SUBSCRIBE: i32 = 108;

/// ROUTER_NOTIFY bits (`ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT`).
const NOTIFY_ALL: i32 = 1 | 2;

use super::pattern::kind::{DEALER, PUB, RADIO, REP, REQ, ROUTER, STREAM, SUB, XPUB, XSUB};

/// What a successful [`PatternOptions::set`] asks of the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternAction<'a> {
    /// The value was stored; nothing else to do.
    Stored,
    /// SUB: subscribe to this prefix (send the subscription upstream).
    /// XPUB/PUB in manual mode: add it for the pipe the last subscription
    /// came from, if any (libzmq silently does nothing without one).
    /// The prefix is the caller's value, borrowed (no allocation per
    /// subscribe).
    Subscribe(&'a [u8]),
    /// The matching cancellation.
    Unsubscribe(&'a [u8]),
}

/// The per-type options of one socket, with libzmq's defaults. Fields of
/// options a socket type does not accept simply keep their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternOptions {
    /// ROUTER, REP: fail with EHOSTUNREACH on unroutable messages.
    pub router_mandatory: bool,
    /// ROUTER, REP: the deprecated raw mode (libzmq's `_raw_socket`).
    pub router_raw: bool,
    /// Set once ROUTER_RAW was set non-zero: libzmq then also switched
    /// `options_t.raw_socket` on and `recv_routing_id` off, and setting
    /// ROUTER_RAW back to 0 does not undo that. Combine with
    /// `Options::raw_socket` / `Options::recv_routing_id`.
    pub router_raw_latched: bool,
    /// ROUTER, REP: a new peer with a known routing id takes the old one's place.
    pub router_handover: bool,
    /// ROUTER, REP, DEALER, REQ: send an empty message on connect.
    pub probe_router: bool,
    /// ROUTER, REP (draft): ZMQ_NOTIFY_CONNECT / ZMQ_NOTIFY_DISCONNECT bits.
    pub router_notify: i32,
    /// ROUTER, REP, STREAM: the routing id for the next connect (empty: none).
    pub connect_routing_id: Vec<u8>,
    /// REQ: add a request id frame and match replies against it.
    pub req_correlate: bool,
    /// REQ: allow sending a new request before the reply (libzmq `!_strict`).
    pub req_relaxed: bool,
    /// XPUB, PUB: pass on duplicate subscriptions too.
    pub xpub_verbose_subs: bool,
    /// XPUB, PUB: pass on duplicate unsubscriptions too (XPUB_VERBOSER).
    pub xpub_verbose_unsubs: bool,
    /// XPUB, PUB: subscriptions are managed by the application through
    /// SUBSCRIBE/UNSUBSCRIBE (set by XPUB_MANUAL or XPUB_MANUAL_LAST_VALUE).
    pub xpub_manual: bool,
    /// XPUB, PUB: send only to the pipe of the last subscription
    /// (XPUB_MANUAL_LAST_VALUE; XPUB_MANUAL does not clear it).
    pub xpub_send_last_pipe: bool,
    /// XPUB, PUB, RADIO: block (EAGAIN) instead of dropping at the HWM
    /// (libzmq `!_lossy`).
    pub xpub_nodrop: bool,
    /// XPUB, PUB: sent to each new subscriber; empty means none.
    pub xpub_welcome_msg: Vec<u8>,
    /// XPUB, PUB, XSUB (not SUB): only the first frame of a multipart
    /// message is treated as a (un)subscription.
    pub only_first_subscribe: bool,
    /// XSUB: ZMQ_XSUB_VERBOSE_UNSUBSCRIBE (draft, 4.3.5).
    pub xsub_verbose_unsubs: bool,
    /// STREAM: deliver connect/disconnect notifications (libzmq
    /// `options_t.raw_notify`).
    pub stream_notify: bool,
}

impl PatternOptions {
    /// The defaults; they are the same for every socket type.
    pub fn new(_socket_type: i32) -> PatternOptions {
        PatternOptions {
            router_mandatory: false,
            router_raw: false,
            router_raw_latched: false,
            router_handover: false,
            probe_router: false,
            router_notify: 0,
            connect_routing_id: Vec::new(),
            req_correlate: false,
            req_relaxed: false,
            xpub_verbose_subs: false,
            xpub_verbose_unsubs: false,
            xpub_manual: false,
            xpub_send_last_pipe: false,
            xpub_nodrop: false,
            xpub_welcome_msg: Vec::new(),
            only_first_subscribe: false,
            xsub_verbose_unsubs: false,
            stream_notify: true,
        }
    }

    /// Applies a per-type option. Err(Invalid) when this socket type does
    /// not accept the option or the value is bad: exactly libzmq's answer
    /// for each (socket_type, option) pair. A failed set changes nothing.
    pub fn set<'a>(
        &mut self,
        socket_type: i32,
        option: i32,
        value: Option<&'a [u8]>,
    ) -> Result<PatternAction<'a>> {
        match socket_type {
            ROUTER | REP => self.set_router(option, value)?,
            STREAM => self.set_stream(option, value)?,
            REQ => self.set_req(option, value)?,
            DEALER => self.set_dealer(option, value)?,
            SUB => return sub_action(option, value),
            XSUB => self.set_xsub(option, value)?,
            XPUB | PUB => return self.set_xpub(option, value),
            RADIO => self.set_radio(option, value)?,
            _ => return Err(Error::Invalid),
        }
        Ok(PatternAction::Stored)
    }

    /// zmq_getsockopt for per-type options, as [`Options::get`] answers:
    /// Ok(None) for everything but ROUTER_NOTIFY (draft), which is an int.
    ///
    /// [`Options::get`]: super::options::Options::get
    pub fn get(&self, _socket_type: i32, option: i32, out: &mut [u8]) -> Result<Option<usize>> {
        match option {
            // options_t::getsockopt answers this for every socket type.
            ROUTER_NOTIFY if DRAFT => put_int(out, self.router_notify).map(Some),
            _ => Ok(None),
        }
    }

    /// router_t::xsetsockopt (REP inherits it). Flags take any int >= 0.
    fn set_router(&mut self, option: i32, value: Option<&[u8]>) -> Result<()> {
        match option {
            ROUTER_RAW => {
                self.router_raw = flag(value)?;
                if self.router_raw {
                    self.router_raw_latched = true;
                }
            }
            ROUTER_MANDATORY => self.router_mandatory = flag(value)?,
            PROBE_ROUTER => self.probe_router = flag(value)?,
            ROUTER_HANDOVER => self.router_handover = flag(value)?,
            ROUTER_NOTIFY if DRAFT => {
                self.router_notify = int_where(value, |v| (0..=NOTIFY_ALL).contains(&v))?
            }
            _ => self.set_connect_routing_id(option, value)?,
        }
        Ok(())
    }

    /// stream_t::xsetsockopt.
    fn set_stream(&mut self, option: i32, value: Option<&[u8]>) -> Result<()> {
        match option {
            STREAM_NOTIFY => self.stream_notify = bool_strict(value)?,
            _ => self.set_connect_routing_id(option, value)?,
        }
        Ok(())
    }

    /// routing_socket_base_t::xsetsockopt: any non-empty value, no upper
    /// bound here (an empty one cannot reset it).
    fn set_connect_routing_id(&mut self, option: i32, value: Option<&[u8]>) -> Result<()> {
        match (option, value) {
            (CONNECT_ROUTING_ID, Some(v)) if !v.is_empty() => {
                self.connect_routing_id = v.to_vec();
                Ok(())
            }
            _ => Err(Error::Invalid),
        }
    }

    /// req_t::xsetsockopt, then dealer_t's.
    fn set_req(&mut self, option: i32, value: Option<&[u8]>) -> Result<()> {
        match option {
            REQ_CORRELATE => self.req_correlate = flag(value)?,
            REQ_RELAXED => self.req_relaxed = flag(value)?,
            _ => self.set_dealer(option, value)?,
        }
        Ok(())
    }

    /// dealer_t::xsetsockopt.
    fn set_dealer(&mut self, option: i32, value: Option<&[u8]>) -> Result<()> {
        match option {
            PROBE_ROUTER => self.probe_router = flag(value)?,
            _ => return Err(Error::Invalid),
        }
        Ok(())
    }

    /// xsub_t::xsetsockopt. XSUB does not take SUBSCRIBE as an option: its
    /// subscriptions are messages the application sends.
    fn set_xsub(&mut self, option: i32, value: Option<&[u8]>) -> Result<()> {
        match option {
            ONLY_FIRST_SUBSCRIBE => self.only_first_subscribe = flag(value)?,
            // Any int (libzmq reads one without checking the length; we
            // insist on an int's size).
            XSUB_VERBOSE_UNSUBSCRIBE if DRAFT => {
                self.xsub_verbose_unsubs = int_where(value, |_| true)? != 0
            }
            _ => return Err(Error::Invalid),
        }
        Ok(())
    }

    /// xpub_t::xsetsockopt (PUB inherits it whole).
    fn set_xpub<'a>(&mut self, option: i32, value: Option<&'a [u8]>) -> Result<PatternAction<'a>> {
        match option {
            XPUB_VERBOSE => {
                self.xpub_verbose_subs = flag(value)?;
                self.xpub_verbose_unsubs = false;
            }
            XPUB_VERBOSER => {
                self.xpub_verbose_subs = flag(value)?;
                self.xpub_verbose_unsubs = self.xpub_verbose_subs;
            }
            XPUB_MANUAL_LAST_VALUE => {
                self.xpub_manual = flag(value)?;
                self.xpub_send_last_pipe = self.xpub_manual;
            }
            XPUB_NODROP => self.xpub_nodrop = flag(value)?,
            XPUB_MANUAL => self.xpub_manual = flag(value)?,
            ONLY_FIRST_SUBSCRIBE => self.only_first_subscribe = flag(value)?,
            // Only in manual mode; otherwise EINVAL like any unknown option.
            SUBSCRIBE if self.xpub_manual => {
                return Ok(PatternAction::Subscribe(value.unwrap_or_default()))
            }
            UNSUBSCRIBE if self.xpub_manual => {
                return Ok(PatternAction::Unsubscribe(value.unwrap_or_default()))
            }
            // Any bytes; empty (or NULL) removes the welcome message.
            XPUB_WELCOME_MSG => self.xpub_welcome_msg = value.unwrap_or_default().to_vec(),
            _ => return Err(Error::Invalid),
        }
        Ok(PatternAction::Stored)
    }

    /// radio_t::xsetsockopt.
    fn set_radio(&mut self, option: i32, value: Option<&[u8]>) -> Result<()> {
        match option {
            XPUB_NODROP => self.xpub_nodrop = flag(value)?,
            _ => return Err(Error::Invalid),
        }
        Ok(())
    }
}

/// sub_t::xsetsockopt: SUBSCRIBE/UNSUBSCRIBE with any bytes (NULL or empty
/// is the empty prefix, "everything"); nothing else.
fn sub_action(option: i32, value: Option<&[u8]>) -> Result<PatternAction<'_>> {
    let topic = value.unwrap_or_default();
    match option {
        SUBSCRIBE => Ok(PatternAction::Subscribe(topic)),
        UNSUBSCRIBE => Ok(PatternAction::Unsubscribe(topic)),
        _ => Err(Error::Invalid),
    }
}

/// The per-type flags' rule: an int >= 0, any non-zero value meaning on
/// (unlike options_t's strict booleans, 2 is accepted).
fn flag(value: Option<&[u8]>) -> Result<bool> {
    int_where(value, |v| v >= 0).map(|v| v != 0)
}

#[cfg(test)]
mod tests {
    use super::super::options::Options;
    use super::*;
    use crate::ctx::CtxOptions;

    fn int(v: i32) -> Vec<u8> {
        v.to_ne_bytes().to_vec()
    }

    fn set(t: i32, option: i32, value: Option<&[u8]>) -> Result<PatternAction<'_>> {
        PatternOptions::new(t).set(t, option, value)
    }

    const ALL_TYPES: std::ops::RangeInclusive<i32> = 0..=20;

    #[test]
    fn router_mandatory_rejected_on_dealer() {
        assert_eq!(
            set(DEALER, ROUTER_MANDATORY, Some(&int(1))),
            Err(Error::Invalid)
        );
    }

    #[test]
    fn router_options_accepted_on_router_and_rep_only() {
        for option in [ROUTER_MANDATORY, ROUTER_RAW, ROUTER_HANDOVER] {
            for t in ALL_TYPES {
                let want = if matches!(t, ROUTER | REP) {
                    Ok(PatternAction::Stored)
                } else {
                    Err(Error::Invalid)
                };
                assert_eq!(
                    set(t, option, Some(&int(1))),
                    want,
                    "type {t} option {option}"
                );
            }
        }
    }

    #[test]
    fn router_flags_take_any_non_negative_int() {
        let mut p = PatternOptions::new(ROUTER);
        assert_eq!(
            p.set(ROUTER, ROUTER_MANDATORY, Some(&int(2))),
            Ok(PatternAction::Stored)
        );
        assert!(p.router_mandatory);
        assert_eq!(
            p.set(ROUTER, ROUTER_MANDATORY, Some(&int(0))),
            Ok(PatternAction::Stored)
        );
        assert!(!p.router_mandatory);
        assert_eq!(
            p.set(ROUTER, ROUTER_MANDATORY, Some(&int(-1))),
            Err(Error::Invalid)
        );
        assert_eq!(
            p.set(ROUTER, ROUTER_HANDOVER, Some(&[1])),
            Err(Error::Invalid)
        );
        assert_eq!(p.set(ROUTER, ROUTER_HANDOVER, None), Err(Error::Invalid));
    }

    #[test]
    fn router_raw_latches_raw_mode() {
        let mut p = PatternOptions::new(ROUTER);
        p.set(ROUTER, ROUTER_RAW, Some(&int(0))).unwrap();
        assert!(!p.router_raw_latched);
        p.set(ROUTER, ROUTER_RAW, Some(&int(5))).unwrap();
        assert!(p.router_raw && p.router_raw_latched);
        p.set(ROUTER, ROUTER_RAW, Some(&int(0))).unwrap();
        assert!(!p.router_raw && p.router_raw_latched);
    }

    #[test]
    fn probe_router_accepted_on_router_rep_dealer_and_req() {
        for t in ALL_TYPES {
            let want = if matches!(t, ROUTER | REP | DEALER | REQ) {
                Ok(PatternAction::Stored)
            } else {
                Err(Error::Invalid)
            };
            assert_eq!(set(t, PROBE_ROUTER, Some(&int(1))), want, "type {t}");
        }
        assert_eq!(set(REQ, PROBE_ROUTER, Some(&int(-1))), Err(Error::Invalid));
    }

    #[test]
    fn req_correlate_and_relaxed_only_on_req() {
        for option in [REQ_CORRELATE, REQ_RELAXED] {
            for t in ALL_TYPES {
                let want = if t == REQ {
                    Ok(PatternAction::Stored)
                } else {
                    Err(Error::Invalid)
                };
                assert_eq!(set(t, option, Some(&int(1))), want, "type {t}");
            }
        }
        let mut p = PatternOptions::new(REQ);
        p.set(REQ, REQ_CORRELATE, Some(&int(3))).unwrap();
        p.set(REQ, REQ_RELAXED, Some(&int(1))).unwrap();
        assert!(p.req_correlate && p.req_relaxed);
        assert_eq!(p.set(REQ, REQ_RELAXED, Some(&int(-1))), Err(Error::Invalid));
    }

    #[test]
    fn connect_routing_id_on_router_rep_and_stream_needs_bytes() {
        for t in ALL_TYPES {
            let want = if matches!(t, ROUTER | REP | STREAM) {
                Ok(PatternAction::Stored)
            } else {
                Err(Error::Invalid)
            };
            assert_eq!(set(t, CONNECT_ROUTING_ID, Some(b"peer")), want, "type {t}");
        }
        assert_eq!(set(ROUTER, CONNECT_ROUTING_ID, None), Err(Error::Invalid));
        assert_eq!(
            set(ROUTER, CONNECT_ROUTING_ID, Some(&[])),
            Err(Error::Invalid)
        );
        // No 255-byte limit at this point.
        let mut p = PatternOptions::new(STREAM);
        assert_eq!(
            p.set(STREAM, CONNECT_ROUTING_ID, Some(&[9u8; 300])),
            Ok(PatternAction::Stored)
        );
        assert_eq!(p.connect_routing_id.len(), 300);
    }

    #[test]
    fn stream_notify_is_a_strict_boolean_on_stream_only() {
        let mut p = PatternOptions::new(STREAM);
        assert!(p.stream_notify);
        assert_eq!(
            p.set(STREAM, STREAM_NOTIFY, Some(&int(2))),
            Err(Error::Invalid)
        );
        assert_eq!(
            p.set(STREAM, STREAM_NOTIFY, Some(&int(0))),
            Ok(PatternAction::Stored)
        );
        assert!(!p.stream_notify);
        assert_eq!(
            set(ROUTER, STREAM_NOTIFY, Some(&int(0))),
            Err(Error::Invalid)
        );
    }

    #[test]
    fn sub_subscribe_returns_the_topic() {
        assert_eq!(
            set(SUB, SUBSCRIBE, Some(b"topic")),
            Ok(PatternAction::Subscribe(&b"topic"[..]))
        );
        assert_eq!(
            set(SUB, UNSUBSCRIBE, Some(b"t")),
            Ok(PatternAction::Unsubscribe(&b"t"[..]))
        );
        assert_eq!(
            set(SUB, SUBSCRIBE, None),
            Ok(PatternAction::Subscribe(&[][..]))
        );
        // Any length, including ints.
        assert_eq!(
            set(SUB, SUBSCRIBE, Some(&int(1))),
            Ok(PatternAction::Subscribe(&int(1)[..]))
        );
    }

    #[test]
    fn subscribe_rejected_on_xsub_and_other_types() {
        for t in ALL_TYPES {
            if t == SUB {
                continue;
            }
            assert_eq!(
                set(t, SUBSCRIBE, Some(b"a")),
                Err(Error::Invalid),
                "type {t}"
            );
            assert_eq!(
                set(t, UNSUBSCRIBE, Some(b"a")),
                Err(Error::Invalid),
                "type {t}"
            );
        }
    }

    #[test]
    fn only_first_subscribe_on_xpub_pub_and_xsub_but_not_sub() {
        for t in ALL_TYPES {
            let want = if matches!(t, XPUB | PUB | XSUB) {
                Ok(PatternAction::Stored)
            } else {
                Err(Error::Invalid)
            };
            assert_eq!(
                set(t, ONLY_FIRST_SUBSCRIBE, Some(&int(1))),
                want,
                "type {t}"
            );
        }
        assert_eq!(
            set(XSUB, ONLY_FIRST_SUBSCRIBE, Some(&int(-1))),
            Err(Error::Invalid)
        );
    }

    #[test]
    fn xpub_options_are_accepted_by_pub_too() {
        for option in [
            XPUB_VERBOSE,
            XPUB_VERBOSER,
            XPUB_NODROP,
            XPUB_MANUAL,
            XPUB_MANUAL_LAST_VALUE,
            XPUB_WELCOME_MSG,
        ] {
            for t in [PUB, XPUB] {
                assert_eq!(set(t, option, Some(&int(1))), Ok(PatternAction::Stored));
            }
            assert_eq!(set(SUB, option, Some(&int(1))), Err(Error::Invalid));
            assert_eq!(set(DEALER, option, Some(&int(1))), Err(Error::Invalid));
        }
    }

    #[test]
    fn xpub_verbose_and_verboser_set_both_flags() {
        let mut p = PatternOptions::new(XPUB);
        p.set(XPUB, XPUB_VERBOSER, Some(&int(1))).unwrap();
        assert!(p.xpub_verbose_subs && p.xpub_verbose_unsubs);
        p.set(XPUB, XPUB_VERBOSE, Some(&int(1))).unwrap();
        assert!(p.xpub_verbose_subs && !p.xpub_verbose_unsubs);
        p.set(XPUB, XPUB_VERBOSER, Some(&int(0))).unwrap();
        assert!(!p.xpub_verbose_subs && !p.xpub_verbose_unsubs);
        assert_eq!(
            p.set(XPUB, XPUB_VERBOSE, Some(&int(-1))),
            Err(Error::Invalid)
        );
    }

    #[test]
    fn xpub_subscribe_only_in_manual_mode() {
        let mut p = PatternOptions::new(XPUB);
        assert_eq!(p.set(XPUB, SUBSCRIBE, Some(b"a")), Err(Error::Invalid));
        assert_eq!(p.set(XPUB, UNSUBSCRIBE, Some(b"a")), Err(Error::Invalid));
        p.set(XPUB, XPUB_MANUAL, Some(&int(1))).unwrap();
        assert_eq!(
            p.set(XPUB, SUBSCRIBE, Some(b"a")),
            Ok(PatternAction::Subscribe(&b"a"[..]))
        );
        assert_eq!(
            p.set(XPUB, UNSUBSCRIBE, Some(b"a")),
            Ok(PatternAction::Unsubscribe(&b"a"[..]))
        );
        assert_eq!(
            p.set(XPUB, SUBSCRIBE, None),
            Ok(PatternAction::Subscribe(&[][..]))
        );
        p.set(XPUB, XPUB_MANUAL, Some(&int(0))).unwrap();
        assert_eq!(p.set(XPUB, SUBSCRIBE, Some(b"a")), Err(Error::Invalid));
    }

    #[test]
    fn xpub_manual_last_value_enables_manual_mode() {
        let mut p = PatternOptions::new(PUB);
        p.set(PUB, XPUB_MANUAL_LAST_VALUE, Some(&int(5))).unwrap();
        assert!(p.xpub_manual && p.xpub_send_last_pipe);
        assert!(matches!(
            p.set(PUB, SUBSCRIBE, Some(b"a")),
            Ok(PatternAction::Subscribe(_))
        ));
        // XPUB_MANUAL=0 leaves manual mode but not the last-pipe flag.
        p.set(PUB, XPUB_MANUAL, Some(&int(0))).unwrap();
        assert!(!p.xpub_manual && p.xpub_send_last_pipe);
        assert_eq!(p.set(PUB, SUBSCRIBE, Some(b"a")), Err(Error::Invalid));
    }

    #[test]
    fn xpub_welcome_msg_takes_any_bytes_and_empty_clears() {
        let mut p = PatternOptions::new(XPUB);
        p.set(XPUB, XPUB_WELCOME_MSG, Some(b"hi\0")).unwrap();
        assert_eq!(p.xpub_welcome_msg, b"hi\0");
        p.set(XPUB, XPUB_WELCOME_MSG, Some(&[])).unwrap();
        assert!(p.xpub_welcome_msg.is_empty());
        p.set(XPUB, XPUB_WELCOME_MSG, Some(b"x")).unwrap();
        p.set(XPUB, XPUB_WELCOME_MSG, None).unwrap();
        assert!(p.xpub_welcome_msg.is_empty());
    }

    #[test]
    fn xpub_nodrop_on_pub_xpub_and_radio() {
        for t in ALL_TYPES {
            let want = if matches!(t, PUB | XPUB | RADIO) {
                Ok(PatternAction::Stored)
            } else {
                Err(Error::Invalid)
            };
            assert_eq!(set(t, XPUB_NODROP, Some(&int(1))), want, "type {t}");
        }
        let mut p = PatternOptions::new(RADIO);
        p.set(RADIO, XPUB_NODROP, Some(&int(3))).unwrap();
        assert!(p.xpub_nodrop);
        assert_eq!(
            p.set(RADIO, XPUB_NODROP, Some(&int(-1))),
            Err(Error::Invalid)
        );
        assert_eq!(p.set(RADIO, XPUB_NODROP, None), Err(Error::Invalid));
    }

    #[cfg(feature = "draft")]
    #[test]
    fn router_notify_takes_0_to_3_on_router_and_rep() {
        let mut p = PatternOptions::new(ROUTER);
        assert_eq!(
            p.set(ROUTER, ROUTER_NOTIFY, Some(&int(4))),
            Err(Error::Invalid)
        );
        assert_eq!(
            p.set(ROUTER, ROUTER_NOTIFY, Some(&int(-1))),
            Err(Error::Invalid)
        );
        assert_eq!(
            p.set(ROUTER, ROUTER_NOTIFY, Some(&int(3))),
            Ok(PatternAction::Stored)
        );
        let mut b = [0u8; 4];
        assert_eq!(p.get(ROUTER, ROUTER_NOTIFY, &mut b), Ok(Some(4)));
        assert_eq!(i32::from_ne_bytes(b), 3);
        assert_eq!(
            set(REP, ROUTER_NOTIFY, Some(&int(1))),
            Ok(PatternAction::Stored)
        );
        assert_eq!(
            set(DEALER, ROUTER_NOTIFY, Some(&int(1))),
            Err(Error::Invalid)
        );
    }

    #[cfg(feature = "draft")]
    #[test]
    fn router_notify_reads_zero_on_every_socket_type() {
        for t in ALL_TYPES {
            let mut b = [0xFFu8; 4];
            assert_eq!(
                PatternOptions::new(t).get(t, ROUTER_NOTIFY, &mut b),
                Ok(Some(4))
            );
            assert_eq!(b, [0; 4]);
            assert_eq!(
                PatternOptions::new(t).get(t, ROUTER_NOTIFY, &mut [0u8; 8]),
                Err(Error::Invalid)
            );
        }
    }

    #[cfg(not(feature = "draft"))]
    #[test]
    fn router_notify_needs_the_draft_feature() {
        assert_eq!(
            set(ROUTER, ROUTER_NOTIFY, Some(&int(1))),
            Err(Error::Invalid)
        );
        assert_eq!(
            PatternOptions::new(ROUTER).get(ROUTER, ROUTER_NOTIFY, &mut [0u8; 4]),
            Ok(None)
        );
    }

    #[test]
    fn pattern_options_cannot_be_read_back() {
        let p = PatternOptions::new(ROUTER);
        for option in [
            ROUTER_MANDATORY,
            ROUTER_RAW,
            PROBE_ROUTER,
            XPUB_VERBOSE,
            SUBSCRIBE,
        ] {
            assert_eq!(p.get(ROUTER, option, &mut [0u8; 4]), Ok(None));
        }
    }

    #[test]
    fn types_without_own_options_reject_everything() {
        // PAIR, PULL, PUSH, SERVER, CLIENT, DISH, GATHER, SCATTER, DGRAM, PEER, CHANNEL
        for t in [0, 7, 8, 12, 13, 15, 16, 17, 18, 19, 20] {
            for option in 0..=120 {
                assert_eq!(set(t, option, Some(&int(1))), Err(Error::Invalid));
            }
        }
    }

    #[test]
    fn generic_and_pattern_option_numbers_are_disjoint() {
        // libzmq asks the type first and falls back to options_t on EINVAL;
        // asking options first is only equivalent if no number is in both.
        let ctx = CtxOptions::default();
        for t in ALL_TYPES {
            for option in 0..=120 {
                let mut p = PatternOptions::new(t);
                let v = int(1);
                if p.set(t, option, Some(&v)).is_ok() {
                    let mut o = Options::new(t, &ctx);
                    assert_eq!(
                        o.set(option, Some(&v)),
                        Ok(false),
                        "type {t} option {option}"
                    );
                }
            }
        }
    }

    // ---- conformance with Debian's libzmq 4.3.4 ------------------------------

    /// zmq_setsockopt as libzmq dispatches it: generic options, else the
    /// socket type's own.
    fn full_set(
        t: i32,
        o: &mut Options,
        p: &mut PatternOptions,
        option: i32,
        v: Option<&[u8]>,
    ) -> Result<()> {
        if o.set(option, v)? {
            return Ok(());
        }
        p.set(t, option, v).map(|_| ())
    }

    /// zmq_getsockopt for everything but socket state; the string has the
    /// probe's format: "E" for EINVAL, "len:hex" for buffers of at most 8
    /// bytes, "len#fnv32" (low half of FNV-1a-64 over the whole buffer,
    /// which starts as 0xAA bytes) for bigger ones.
    fn full_get(t: i32, o: &Options, p: &PatternOptions, option: i32, len: usize) -> String {
        let mut buf = vec![0xAAu8; len];
        let r = match o.get(option, &mut buf) {
            Ok(None) => p
                .get(t, option, &mut buf)
                .and_then(|r| r.ok_or(Error::Invalid)),
            Ok(Some(n)) => Ok(n),
            Err(e) => Err(e),
        };
        match r {
            Err(Error::Invalid) => "E".to_string(),
            Err(e) => format!("E{}", e.errno()),
            Ok(n) if len <= 8 => {
                let hex: String = buf.iter().map(|b| format!("{b:02x}")).collect();
                format!("{n}:{}", if len == 0 { "-".to_string() } else { hex })
            }
            Ok(n) => {
                let mut h: u64 = 0xcbf2_9ce4_8422_2325;
                for &b in &buf {
                    h ^= u64::from(b);
                    h = h.wrapping_mul(0x0100_0000_01b3);
                }
                format!("{n}#{:08x}", h & 0xffff_ffff)
            }
        }
    }

    const GET_LENS: [usize; 7] = [0, 1, 4, 8, 32, 41, 256];

    /// The probe's 52 values, in order.
    fn probe_values() -> Vec<Option<Vec<u8>>> {
        let key: Vec<u8> = (0..32u8)
            .map(|i| i.wrapping_mul(7).wrapping_add(1))
            .collect();
        let z85 = crate::util::z85::encode(&key).unwrap();
        let mut v: Vec<Option<Vec<u8>>> = Vec::new();
        for i in [0, 1, -1, 2, 3, 4, 100, 150, -99, -100, 6_553_599, 6_553_600] {
            v.push(Some(int(i)));
        }
        v.push(Some(int(i32::MAX)));
        v.push(Some(int(i32::MIN)));
        for i in [0i64, 1, -1] {
            v.push(Some(i.to_ne_bytes().to_vec()));
        }
        v.push(Some(1i16.to_ne_bytes().to_vec()));
        v.push(None);
        v.push(Some(vec![]));
        for s in [
            &b"a"[..],
            b"abc",
            b"hello",
            b"eth0eth0eth0eth0",
            b"eth0eth0eth0eth0X",
        ] {
            v.push(Some(s.to_vec()));
        }
        v.push(Some(vec![b'x'; 255]));
        v.push(Some(vec![b'x'; 256]));
        v.push(Some(key));
        v.push(Some(z85.clone()));
        let mut z41 = z85.clone();
        z41.push(0);
        v.push(Some(z41));
        v.push(Some(vec![b' '; 40]));
        let mut z41bad = z85.clone();
        z41bad.push(b'0');
        v.push(Some(z41bad));
        let mut znul = z85;
        znul[20] = 0;
        v.push(Some(znul));
        for s in [
            "127.0.0.1",
            "192.168.0.0/16",
            "::1",
            "10.0.0.0/33",
            "10.0.0.0/0",
            "10.0.0.0/00",
            "127.1",
            "X-key:value",
            "X-key:",
            "key:value",
            ":value",
            "X-:v",
            "X-k:a:b",
            "x-key:value",
            "[::1]/128",
            "10.0.0.1/",
            "10.0.0.1/8x",
            "tcp://127.0.0.1:5555",
            "0x7f.0.0.01",
        ] {
            v.push(Some(s.as_bytes().to_vec()));
        }
        assert_eq!(v.len(), 52);
        v
    }

    /// Where a draft build answers differently from Debian's non-draft one:
    /// the draft generic options, on every socket type, and ROUTER_NOTIFY.
    fn draft_set_outcomes(
        t: i32,
        option: i32,
        generic_row: impl Fn(i32) -> String,
        any_int: &str,
    ) -> Option<String> {
        if !DRAFT {
            return None;
        }
        match option {
            // BUSY_POLL (4.3.5): any int, every type.
            113 => Some(any_int.to_string()),
            // XSUB_VERBOSE_UNSUBSCRIBE (4.3.5): any int, XSUB only.
            115 if t == XSUB => Some(any_int.to_string()),
            // IN/OUT_BATCH_SIZE: > 0, validated like RATE.
            101 | 102 => Some(generic_row(8)),
            // PRIORITY: >= 0, like TOS.
            112 => Some(generic_row(57)),
            // HELLO_MSG / DISCONNECT_MSG / HICCUP_MSG (4.3.5): any bytes,
            // NULL included.
            110 | 111 | 114 => Some(".".repeat(52)),
            // WSS_KEY_PEM / CERT_PEM / TRUST_PEM / HOSTNAME: any bytes too.
            103..=106 => Some(".".repeat(52)),
            // WSS_TRUST_SYSTEM: 0 or 1, like IPV6.
            107 => Some(generic_row(42)),
            // ROUTER_NOTIFY on ROUTER and REP: an int in 0..=3.
            ROUTER_NOTIFY if matches!(t, ROUTER | REP) => Some(format!("..E..{}", "E".repeat(47))),
            _ => None,
        }
    }

    fn table() -> Vec<Vec<&'static str>> {
        DEBIAN_4_3_4
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.split(' ').collect())
            .collect()
    }

    #[test]
    fn set_outcomes_match_debian_libzmq() {
        let values = probe_values();
        let table = table();
        let generic_row = |option: i32| {
            let o = option.to_string();
            table
                .iter()
                .find(|f| f[0] == "S" && f[1] == o)
                .map(|f| f[2].to_string())
                .unwrap_or_default()
        };
        // The outcome row of an option that takes any int.
        let any_int: String = values
            .iter()
            .map(|v| {
                if v.as_ref().is_some_and(|b| b.len() == 4) {
                    '.'
                } else {
                    'E'
                }
            })
            .collect();
        let mut checked = 0;
        for fields in table.iter().filter(|f| f[0] == "S") {
            let option: i32 = fields[1].parse().unwrap();
            for t in ALL_TYPES {
                let ts = t.to_string();
                let debian = table
                    .iter()
                    .find(|f| f[0] == "T" && f[1] == ts && f[2] == fields[1])
                    .map_or(fields[2], |f| f[3])
                    .to_string();
                let want = draft_set_outcomes(t, option, generic_row, &any_int).unwrap_or(debian);
                let got: String = values
                    .iter()
                    .map(|v| {
                        let mut o = Options::new(t, &CtxOptions::default());
                        let mut p = PatternOptions::new(t);
                        match full_set(t, &mut o, &mut p, option, v.as_deref()) {
                            Ok(()) => '.',
                            Err(Error::Invalid) => 'E',
                            Err(_) => '?',
                        }
                    })
                    .collect();
                assert_eq!(got, want, "set: type {t} option {option}");
                checked += 1;
            }
        }
        assert!(checked > 100 * 21);
    }

    #[test]
    fn default_gets_match_debian_libzmq() {
        let table = table();
        for fields in table.iter().filter(|f| f[0] == "D") {
            let option: i32 = fields[1].parse().unwrap();
            for t in ALL_TYPES {
                let ts = t.to_string();
                let mut want = table
                    .iter()
                    .find(|f| f[0] == "DT" && f[1] == ts && f[2] == fields[1])
                    .map_or(&fields[2..], |f| &f[3..])
                    .join(" ");
                if DRAFT {
                    want = match option {
                        ROUTER_NOTIFY | 112 | 113 => "E E 4:00000000 E E E E".to_string(),
                        101 | 102 => "E E 4:00200000 E E E E".to_string(),
                        _ => want,
                    };
                }
                let o = Options::new(t, &CtxOptions::default());
                let p = PatternOptions::new(t);
                let got: Vec<String> = GET_LENS
                    .iter()
                    .map(|&len| full_get(t, &o, &p, option, len))
                    .collect();
                assert_eq!(got.join(" "), want, "default get: type {t} option {option}");
            }
        }
    }

    #[test]
    fn round_trips_match_debian_libzmq() {
        let values = probe_values();
        let table = table();
        let mut rows: Vec<(i32, usize, String)> = Vec::new();
        for f in &table {
            match f[0] {
                "R" => rows.push((
                    f[1].parse().unwrap(),
                    f[2].parse().unwrap(),
                    f[3..].join(" "),
                )),
                "A" => {
                    let (opt, like): (i32, i32) = (f[1].parse().unwrap(), f[2].parse().unwrap());
                    let copies: Vec<_> = rows
                        .iter()
                        .filter(|r| r.0 == like)
                        .map(|r| (opt, r.1, r.2.clone()))
                        .collect();
                    rows.extend(copies);
                }
                _ => {}
            }
        }
        assert_eq!(rows.len(), 838);
        for (option, case, want) in rows {
            let mut o = Options::new(0, &CtxOptions::default());
            let mut p = PatternOptions::new(0);
            let v = values[case].as_deref();
            assert_eq!(
                full_set(0, &mut o, &mut p, option, v),
                Ok(()),
                "{option} {case}"
            );
            let mut got: Vec<String> = GET_LENS
                .iter()
                .map(|&len| full_get(0, &o, &p, option, len))
                .collect();
            got.push(o.mechanism.as_i32().to_string());
            assert_eq!(
                got.join(" "),
                want,
                "round trip: option {option} case {case}"
            );
        }
    }

    /// Generated by a C program against Debian 12's libzmq 4.3.4 (built with
    /// CURVE and GSSAPI, without drafts or VMCI), for socket types 0..=20 and
    /// options 0..=120 except socket state (13, 14, 15, 16, 32, 81) and the
    /// GSSAPI options, where ferrozmq intentionally answers EINVAL.
    ///
    /// `S opt outcomes`: zmq_setsockopt on a fresh PAIR for each probe value
    /// ('.' ok, 'E' EINVAL); `T type opt outcomes`: types that differ.
    /// `D opt gets` / `DT type opt gets`: zmq_getsockopt on a fresh socket
    /// with buffers of 0, 1, 4, 8, 32, 41 and 256 bytes (see `full_get`).
    /// `R opt case gets mechanism`: the gets after a successful set on PAIR,
    /// then ZMQ_MECHANISM. `A opt other`: R lines identical to `other`'s.
    const DEBIAN_4_3_4: &str = r"
S 0 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 1 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 2 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 3 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 4 EEEEEEEEEEEEEE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 5 ..................EE......E.........................
S 6 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
T 2 6 ....................................................
S 7 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
T 2 7 ....................................................
S 8 E.E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 9 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 10 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 11 ........EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 12 ........EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 17 ........EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 18 ........EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 19 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 20 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 21 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 22 EEEEEEEEEEEEEE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 23 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 24 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 25 E.E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 26 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 27 ........EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 28 ........EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 29 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 30 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 31 ..EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 33 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
T 4 33 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
T 6 33 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 34 ...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 35 ........EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 36 ........EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 37 ........EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 38 EEEEEEEEEEEEEEEEEE.EEEEEEEEEEEEEE..EE.E.EEEEEEEEE.E.
S 39 ..EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 40 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
T 1 40 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
T 9 40 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 41 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
T 4 41 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
T 6 41 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 42 ..EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 43 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 44 ..EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 45 ...................E......E.........................
S 46 ...................E......E.........................
S 47 ..EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 48 EEEEEEEEEEEEEEEEEEEEEEEEEEE...EE.EEEEEEEEEEEEEEEEEEE
S 49 EEEEEEEEEEEEEEEEEEEEEEEEEEE...EE.EEEEEEEEEEEEEEEEEEE
S 50 EEEEEEEEEEEEEEEEEEEEEEEEEEE...EE.EEEEEEEEEEEEEEEEEEE
S 51 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
T 3 51 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
T 4 51 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
T 5 51 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
T 6 51 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 52 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
T 3 52 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 53 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
T 3 53 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 54 ..EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 55 ..................EE......E.........................
S 56 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
T 4 56 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
T 6 56 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 57 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 58 ..............EEEE.EEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 59 ..............EEEE.EEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 60 ..............EEEE.EEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 61 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
T 4 61 ..................EE................................
T 6 61 ..................EE................................
T 11 61 ..................EE................................
S 66 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 67 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 68 ...................E................................
S 69 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
T 1 69 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
T 9 69 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
T 14 69 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 70 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 71 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
T 1 71 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
T 9 71 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 72 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
T 1 72 ....................................................
T 9 72 ....................................................
S 73 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
T 11 73 ..EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 74 ..............EEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 75 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 76 .........E.EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 77 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 78 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
T 1 78 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
T 9 78 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 79 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 80 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 82 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 83 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 84 E.E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 85 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 86 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 87 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 88 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 89 ........EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 92 ...................E....EEEEEEEEE.................E.
S 93 ..............EEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 94 ..............EEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 95 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEE.EEEEEE
S 96 ..............EEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 97 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 98 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
T 1 98 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
T 9 98 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 99 ..........................E.........................
S 100 ..........................E.........................
S 101 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 102 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 103 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 104 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 105 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 106 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 107 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 108 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
T 1 108 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
T 9 108 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
T 10 108 ..E.....EE...EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 109 ..............EEEEEEEEEEEEEEEEEEEEEEEEEEEEEE.EEEEEEE
S 110 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 111 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 112 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 113 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 114 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 115 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 116 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 117 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 118 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 119 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
S 120 EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE
D 0 E E E E E E E
D 1 E E E E E E E
D 2 E E E E E E E
D 3 E E E E E E E
D 4 E E E 8:0000000000000000 E E E
D 5 0:- 0:00 0:00000000 0:0000000000000000 0#4d8af5a5 0#729ec93f 0#736bb725
D 6 E E E E E E E
D 7 E E E E E E E
D 8 E E 4:64000000 E E E E
D 9 E E 4:10270000 E E E E
D 10 E E E E E E E
D 11 E E 4:ffffffff E E E E
D 12 E E 4:ffffffff E E E E
D 17 E E 4:ffffffff E E E E
DT 2 17 E E 4:00000000 E E E E
DT 10 17 E E 4:00000000 E E E E
DT 15 17 E E 4:00000000 E E E E
D 18 E E 4:64000000 E E E E
D 19 E E 4:64000000 E E E E
D 20 E E E E E E E
D 21 E E 4:00000000 E E E E
D 22 E E E 8:ffffffffffffffff E E E
D 23 E E 4:e8030000 E E E E
D 24 E E 4:e8030000 E E E E
D 25 E E 4:01000000 E E E E
D 26 E E E E E E E
D 27 E E 4:ffffffff E E E E
D 28 E E 4:ffffffff E E E E
D 29 E E E E E E E
D 30 E E E E E E E
D 31 E E 4:01000000 E E E E
D 33 E E E E E E E
D 34 E E 4:ffffffff E E E E
D 35 E E 4:ffffffff E E E E
D 36 E E 4:ffffffff E E E E
D 37 E E 4:ffffffff E E E E
D 38 E E E E E E E
D 39 E E 4:00000000 E E E E
D 40 E E E E E E E
D 41 E E E E E E E
D 42 E E 4:00000000 E E E E
D 43 E E 4:00000000 E E E E
D 44 E E 4:00000000 E E E E
D 45 E 1:00 1:00000000 1:0000000000000000 1#4d8af5a5 1#729ec93f 1#736bb725
D 46 E 1:00 1:00000000 1:0000000000000000 1#4d8af5a5 1#729ec93f 1#736bb725
D 47 E E 4:00000000 E E E E
D 48 E E E E 32#4d8af5a5 41#0617a7bf E
D 49 E E E E 32#4d8af5a5 41#0617a7bf E
D 50 E E E E 32#4d8af5a5 41#0617a7bf E
D 51 E E E E E E E
D 52 E E E E E E E
D 53 E E E E E E E
D 54 E E 4:00000000 E E E E
D 55 E 1:00 1:00000000 1:0000000000000000 1#4d8af5a5 1#729ec93f 1#736bb725
D 56 E E E E E E E
D 57 E E 4:00000000 E E E E
D 58 E E E E E E E
D 59 E E E E E E E
D 60 E E E E E E E
D 61 E E E E E E E
D 66 E E 4:30750000 E E E E
D 67 E E E E E E E
D 68 E 1:00 1:00000000 1:0000000000000000 1#4d8af5a5 1#729ec93f 1#736bb725
D 69 E E E E E E E
D 70 E E E E E E E
D 71 E E E E E E E
D 72 E E E E E E E
D 73 E E E E E E E
D 74 E E 4:00000000 E E E E
D 75 E E 4:00000000 E E E E
D 76 E E 4:00000000 E E E E
D 77 E E 4:ffffffff E E E E
D 78 E E E E E E E
D 79 E E 4:00000000 E E E E
D 80 E E 4:00000000 E E E E
D 82 E E E E E E E
D 83 E E E E E E E
D 84 E E 4:dc050000 E E E E
D 85 E E E E E E E
D 86 E E E E E E E
D 87 E E E E E E E
D 88 E E E E E E E
D 89 E E 4:ffffffff E E E E
D 92 E 1:00 1:00000000 1:0000000000000000 1#4d8af5a5 1#729ec93f 1#736bb725
D 93 E E 4:00000000 E E E E
D 94 E E 4:00000000 E E E E
D 95 E E E E E E E
D 96 E E 4:01000000 E E E E
D 97 E E E E E E E
D 98 E E E E E E E
D 99 E 1:00 1:00000000 1:0000000000000000 1#4d8af5a5 1#729ec93f 1#736bb725
D 100 E 1:00 1:00000000 1:0000000000000000 1#4d8af5a5 1#729ec93f 1#736bb725
D 101 E E E E E E E
D 102 E E E E E E E
D 103 E E E E E E E
D 104 E E E E E E E
D 105 E E E E E E E
D 106 E E E E E E E
D 107 E E E E E E E
D 108 E E E E E E E
D 109 E E 4:00000000 E E E E
D 110 E E E E E E E
D 111 E E E E E E E
D 112 E E E E E E E
D 113 E E E E E E E
D 114 E E E E E E E
D 115 E E E E E E E
D 116 E E E E E E E
D 117 E E E E E E E
D 118 E E E E E E E
D 119 E E E E E E E
D 120 E E E E E E E
R 4 14 E E E 8:0000000000000000 E E E 0
R 4 15 E E E 8:0100000000000000 E E E 0
R 4 16 E E E 8:ffffffffffffffff E E E 0
R 5 0 E E 4:00000000 4:0000000000000000 4#4d8af5a5 4#729ec93f 4#736bb725 0
R 5 1 E E 4:01000000 4:0100000000000000 4#aa94b524 4#56c209ac 4#c5b2b324 0
R 5 2 E E 4:ffffffff 4:ffffffff00000000 4#4bacb141 4#c53f9dd3 4#8dba14c1 0
R 5 3 E E 4:02000000 4:0200000000000000 4#937776a7 4#aa584865 4#ceddbf27 0
R 5 4 E E 4:03000000 4:0300000000000000 4#f0813626 4#8e7b88d2 4#2124bb26 0
R 5 5 E E 4:04000000 4:0400000000000000 4#c1b1f3a1 4#032bcaf3 4#bc87a721 0
R 5 6 E E 4:64000000 4:6400000000000000 4#207a03c1 4#7ec3bd53 4#73a82741 0
R 5 7 E E 4:96000000 4:9600000000000000 4#b222bd33 4#e7110cc9 4#d00befb3 0
R 5 8 E E 4:9dffffff 4:9dffffff00000000 4#c84cfa63 4#b1dfb759 4#e93c54e3 0
R 5 9 E E 4:9cffffff 4:9cffffff00000000 4#1e0649e2 4#5f6aa7c6 4#2aaae0e2 0
R 5 10 E E 4:ffff6300 4:ffff630000000000 4#d0e36f00 4#d38b3d00 4#fbe7ef00 0
R 5 11 E E 4:00006400 4:0000640000000000 4#53e205e1 4#08c6a5b3 4#e1379961 0
R 5 12 E E 4:ffffff7f 4:ffffff7f00000000 4#5345efc1 4#30ae4153 4#dc2e1341 0
R 5 13 E E 4:00000080 4:0000008000000000 4#55243425 4#de0d6cbf 4#c1dfb5a5 0
R 5 14 E E E 8:0000000000000000 8#4d8af5a5 8#729ec93f 8#736bb725 0
R 5 15 E E E 8:0100000000000000 8#aa94b524 8#56c209ac 8#c5b2b324 0
R 5 16 E E E 8:ffffffffffffffff 8#1e83611d 8#b2841327 8#8254469d 0
R 5 17 E E 2:01000000 2:0100000000000000 2#aa94b524 2#56c209ac 2#c5b2b324 0
R 5 20 E 1:61 1:61000000 1:6100000000000000 1#095cc544 1#d259fc0c 1#7cd33344 0
R 5 21 E E 3:61626300 3:6162630000000000 3#52a6ba61 3#8bd30b33 3#f4f40de1 0
R 5 22 E E E 5:68656c6c6f000000 5#e80eabb9 5#936484bb 5#8880b339 0
R 5 23 E E E E 16#8f91a665 16#1a76677f 16#c59d07e5 0
R 5 24 E E E E 17#1ed1fcbd 17#60256007 17#0d63923d 0
R 5 25 E E E E E E 255#294e698d 0
R 5 27 E E E E 32#14255725 32#30c505bf 32#47db58a5 0
R 5 28 E E E E E 40#900998b7 40#8cd144cd 0
R 5 29 E E E E E 41#900998b7 41#8cd144cd 0
R 5 30 E E E E E 40#e37c7fbf 40#2c2636a5 0
R 5 31 E E E E E 41#90097d87 41#3a2c6ebd 0
R 5 32 E E E E E 40#6f530034 40#9b0a077c 0
R 5 33 E E E E 9#edc82d0a 9#e126f3be 9#932fd00a 0
R 5 34 E E E E 14#ec1d5c56 14#00a47e62 14#77768956 0
R 5 35 E E 3:3a3a3100 3:3a3a310000000000 3#265df504 3#d6d3074c 3#35bb8304 0
R 5 36 E E E E 11#b6d2eacf 11#2bd0575d 11#1577bf4f 0
R 5 37 E E E E 10#0c7e70e5 10#bba06eff 10#39ce9265 0
R 5 38 E E E E 11#8b8ec795 11#c303fe0f 11#8abe5115 0
R 5 39 E E E 5:3132372e31000000 5#f6684c5a 5#794026ae 5#698d875a 0
R 5 40 E E E E 11#91cb13b6 11#0a7f5a82 11#f88610b6 0
R 5 41 E E E 6:582d6b65793a0000 6#974656d5 6#31cb1fcf 6#e02b4055 0
R 5 42 E E E E 9#c5ba7c29 9#44d09d0b 9#79f60ba9 0
R 5 43 E E E 6:3a76616c75650000 6#7e975222 6#de9bc486 6#a718c922 0
R 5 44 E E 4:582d3a76 4:582d3a7600000000 4#b33863ae 4#0ba499ea 4#858344ae 0
R 5 45 E E E 7:582d6b3a613a6200 7#d2e103c2 7#4b03b366 7#caf02ac2 0
R 5 46 E E E E 11#2a76cd96 11#b49b6622 11#d81c5a96 0
R 5 47 E E E E 9#be2a080a 9#1edc34be 9#b5102b0a 0
R 5 48 E E E E 9#8e38e862 9#b07b6b46 9#5a883f62 0
R 5 49 E E E E 11#31b54452 11#616ede16 11#47366352 0
R 5 50 E E E E 20#476da1cd 20#7ff00037 20#a1d0ef4d 0
R 5 51 E E E E 11#9d9dbd17 11#523f22b5 11#4f6a8d97 0
R 8 1 E E 4:01000000 E E E E 0
R 8 3 E E 4:02000000 E E E E 0
R 8 4 E E 4:03000000 E E E E 0
R 8 5 E E 4:04000000 E E E E 0
R 8 6 E E 4:64000000 E E E E 0
R 8 7 E E 4:96000000 E E E E 0
R 8 10 E E 4:ffff6300 E E E E 0
R 8 11 E E 4:00006400 E E E E 0
R 8 12 E E 4:ffffff7f E E E E 0
R 8 44 E E 4:582d3a76 E E E E 0
R 9 0 E E 4:00000000 E E E E 0
R 9 1 E E 4:01000000 E E E E 0
R 9 3 E E 4:02000000 E E E E 0
R 9 4 E E 4:03000000 E E E E 0
R 9 5 E E 4:04000000 E E E E 0
R 9 6 E E 4:64000000 E E E E 0
R 9 7 E E 4:96000000 E E E E 0
R 9 10 E E 4:ffff6300 E E E E 0
R 9 11 E E 4:00006400 E E E E 0
R 9 12 E E 4:ffffff7f E E E E 0
R 9 44 E E 4:582d3a76 E E E E 0
R 11 0 E E 4:00000000 E E E E 0
R 11 1 E E 4:01000000 E E E E 0
R 11 2 E E 4:ffffffff E E E E 0
R 11 3 E E 4:02000000 E E E E 0
R 11 4 E E 4:03000000 E E E E 0
R 11 5 E E 4:04000000 E E E E 0
R 11 6 E E 4:64000000 E E E E 0
R 11 7 E E 4:96000000 E E E E 0
R 11 10 E E 4:ffff6300 E E E E 0
R 11 11 E E 4:00006400 E E E E 0
R 11 12 E E 4:ffffff7f E E E E 0
R 11 44 E E 4:582d3a76 E E E E 0
A 12 11
A 17 11
A 18 11
A 19 9
A 21 9
A 22 4
A 23 9
A 24 9
A 25 8
A 27 11
A 28 11
R 31 0 E E 4:00000000 E E E E 0
R 31 1 E E 4:01000000 E E E E 0
R 34 0 E E 4:00000000 E E E E 0
R 34 1 E E 4:01000000 E E E E 0
R 34 2 E E 4:ffffffff E E E E 0
A 35 11
A 36 11
A 37 11
R 38 18 E E E E E E E 0
R 38 33 E E E E E E E 0
R 38 34 E E E E E E E 0
R 38 37 E E E E E E E 0
R 38 39 E E E E E E E 0
R 38 49 E E E E E E E 0
R 38 51 E E E E E E E 0
A 39 31
A 42 31
R 44 0 E E 4:00000000 E E E E 0
R 44 1 E E 4:01000000 E E E E 1
R 45 0 E E E 5:0000000000000000 5#4d8af5a5 5#729ec93f 5#736bb725 1
R 45 1 E E E 5:0100000000000000 5#aa94b524 5#56c209ac 5#c5b2b324 1
R 45 2 E E E 5:ffffffff00000000 5#4bacb141 5#c53f9dd3 5#8dba14c1 1
R 45 3 E E E 5:0200000000000000 5#937776a7 5#aa584865 5#ceddbf27 1
R 45 4 E E E 5:0300000000000000 5#f0813626 5#8e7b88d2 5#2124bb26 1
R 45 5 E E E 5:0400000000000000 5#c1b1f3a1 5#032bcaf3 5#bc87a721 1
R 45 6 E E E 5:6400000000000000 5#207a03c1 5#7ec3bd53 5#73a82741 1
R 45 7 E E E 5:9600000000000000 5#b222bd33 5#e7110cc9 5#d00befb3 1
R 45 8 E E E 5:9dffffff00000000 5#c84cfa63 5#b1dfb759 5#e93c54e3 1
R 45 9 E E E 5:9cffffff00000000 5#1e0649e2 5#5f6aa7c6 5#2aaae0e2 1
R 45 10 E E E 5:ffff630000000000 5#d0e36f00 5#d38b3d00 5#fbe7ef00 1
R 45 11 E E E 5:0000640000000000 5#53e205e1 5#08c6a5b3 5#e1379961 1
R 45 12 E E E 5:ffffff7f00000000 5#5345efc1 5#30ae4153 5#dc2e1341 1
R 45 13 E E E 5:0000008000000000 5#55243425 5#de0d6cbf 5#c1dfb5a5 1
R 45 14 E E E E 9#4d8af5a5 9#729ec93f 9#736bb725 1
R 45 15 E E E E 9#aa94b524 9#56c209ac 9#c5b2b324 1
R 45 16 E E E E 9#1e83611d 9#b2841327 9#8254469d 1
R 45 17 E E 3:01000000 3:0100000000000000 3#aa94b524 3#56c209ac 3#c5b2b324 1
R 45 18 E 1:00 1:00000000 1:0000000000000000 1#4d8af5a5 1#729ec93f 1#736bb725 0
R 45 20 E E 2:61000000 2:6100000000000000 2#095cc544 2#d259fc0c 2#7cd33344 1
R 45 21 E E 4:61626300 4:6162630000000000 4#52a6ba61 4#8bd30b33 4#f4f40de1 1
R 45 22 E E E 6:68656c6c6f000000 6#e80eabb9 6#936484bb 6#8880b339 1
R 45 23 E E E E 17#8f91a665 17#1a76677f 17#c59d07e5 1
R 45 24 E E E E 18#1ed1fcbd 18#60256007 18#0d63923d 1
R 45 25 E E E E E E 256#294e698d 1
R 45 27 E E E E E 33#30c505bf 33#47db58a5 1
R 45 28 E E E E E 41#900998b7 41#8cd144cd 1
R 45 29 E E E E E E 42#8cd144cd 1
R 45 30 E E E E E 41#e37c7fbf 41#2c2636a5 1
R 45 31 E E E E E E 42#3a2c6ebd 1
R 45 32 E E E E E 41#6f530034 41#9b0a077c 1
R 45 33 E E E E 10#edc82d0a 10#e126f3be 10#932fd00a 1
R 45 34 E E E E 15#ec1d5c56 15#00a47e62 15#77768956 1
R 45 35 E E 4:3a3a3100 4:3a3a310000000000 4#265df504 4#d6d3074c 4#35bb8304 1
R 45 36 E E E E 12#b6d2eacf 12#2bd0575d 12#1577bf4f 1
R 45 37 E E E E 11#0c7e70e5 11#bba06eff 11#39ce9265 1
R 45 38 E E E E 12#8b8ec795 12#c303fe0f 12#8abe5115 1
R 45 39 E E E 6:3132372e31000000 6#f6684c5a 6#794026ae 6#698d875a 1
R 45 40 E E E E 12#91cb13b6 12#0a7f5a82 12#f88610b6 1
R 45 41 E E E 7:582d6b65793a0000 7#974656d5 7#31cb1fcf 7#e02b4055 1
R 45 42 E E E E 10#c5ba7c29 10#44d09d0b 10#79f60ba9 1
R 45 43 E E E 7:3a76616c75650000 7#7e975222 7#de9bc486 7#a718c922 1
R 45 44 E E E 5:582d3a7600000000 5#b33863ae 5#0ba499ea 5#858344ae 1
R 45 45 E E E 8:582d6b3a613a6200 8#d2e103c2 8#4b03b366 8#caf02ac2 1
R 45 46 E E E E 12#2a76cd96 12#b49b6622 12#d81c5a96 1
R 45 47 E E E E 10#be2a080a 10#1edc34be 10#b5102b0a 1
R 45 48 E E E E 10#8e38e862 10#b07b6b46 10#5a883f62 1
R 45 49 E E E E 12#31b54452 12#616ede16 12#47366352 1
R 45 50 E E E E 21#476da1cd 21#7ff00037 21#a1d0ef4d 1
R 45 51 E E E E 12#9d9dbd17 12#523f22b5 12#4f6a8d97 1
A 46 45
R 47 0 E E 4:00000000 E E E E 0
R 47 1 E E 4:01000000 E E E E 2
R 48 27 E E E E 32#14255725 41#900998b7 E 2
R 48 28 E E E E 32#14255725 41#900998b7 E 2
R 48 29 E E E E 32#14255725 41#900998b7 E 2
R 48 32 E E E E 32#329f38a5 41#afa13d5f E 2
A 49 48
A 50 48
A 54 31
R 55 0 E E E 5:0000000000000000 5#4d8af5a5 5#729ec93f 5#736bb725 0
R 55 1 E E E 5:0100000000000000 5#aa94b524 5#56c209ac 5#c5b2b324 0
R 55 2 E E E 5:ffffffff00000000 5#4bacb141 5#c53f9dd3 5#8dba14c1 0
R 55 3 E E E 5:0200000000000000 5#937776a7 5#aa584865 5#ceddbf27 0
R 55 4 E E E 5:0300000000000000 5#f0813626 5#8e7b88d2 5#2124bb26 0
R 55 5 E E E 5:0400000000000000 5#c1b1f3a1 5#032bcaf3 5#bc87a721 0
R 55 6 E E E 5:6400000000000000 5#207a03c1 5#7ec3bd53 5#73a82741 0
R 55 7 E E E 5:9600000000000000 5#b222bd33 5#e7110cc9 5#d00befb3 0
R 55 8 E E E 5:9dffffff00000000 5#c84cfa63 5#b1dfb759 5#e93c54e3 0
R 55 9 E E E 5:9cffffff00000000 5#1e0649e2 5#5f6aa7c6 5#2aaae0e2 0
R 55 10 E E E 5:ffff630000000000 5#d0e36f00 5#d38b3d00 5#fbe7ef00 0
R 55 11 E E E 5:0000640000000000 5#53e205e1 5#08c6a5b3 5#e1379961 0
R 55 12 E E E 5:ffffff7f00000000 5#5345efc1 5#30ae4153 5#dc2e1341 0
R 55 13 E E E 5:0000008000000000 5#55243425 5#de0d6cbf 5#c1dfb5a5 0
R 55 14 E E E E 9#4d8af5a5 9#729ec93f 9#736bb725 0
R 55 15 E E E E 9#aa94b524 9#56c209ac 9#c5b2b324 0
R 55 16 E E E E 9#1e83611d 9#b2841327 9#8254469d 0
R 55 17 E E 3:01000000 3:0100000000000000 3#aa94b524 3#56c209ac 3#c5b2b324 0
R 55 20 E E 2:61000000 2:6100000000000000 2#095cc544 2#d259fc0c 2#7cd33344 0
R 55 21 E E 4:61626300 4:6162630000000000 4#52a6ba61 4#8bd30b33 4#f4f40de1 0
R 55 22 E E E 6:68656c6c6f000000 6#e80eabb9 6#936484bb 6#8880b339 0
R 55 23 E E E E 17#8f91a665 17#1a76677f 17#c59d07e5 0
R 55 24 E E E E 18#1ed1fcbd 18#60256007 18#0d63923d 0
R 55 25 E E E E E E 256#294e698d 0
R 55 27 E E E E E 33#30c505bf 33#47db58a5 0
R 55 28 E E E E E 41#900998b7 41#8cd144cd 0
R 55 29 E E E E E E 42#8cd144cd 0
R 55 30 E E E E E 41#e37c7fbf 41#2c2636a5 0
R 55 31 E E E E E E 42#3a2c6ebd 0
R 55 32 E E E E E 41#6f530034 41#9b0a077c 0
R 55 33 E E E E 10#edc82d0a 10#e126f3be 10#932fd00a 0
R 55 34 E E E E 15#ec1d5c56 15#00a47e62 15#77768956 0
R 55 35 E E 4:3a3a3100 4:3a3a310000000000 4#265df504 4#d6d3074c 4#35bb8304 0
R 55 36 E E E E 12#b6d2eacf 12#2bd0575d 12#1577bf4f 0
R 55 37 E E E E 11#0c7e70e5 11#bba06eff 11#39ce9265 0
R 55 38 E E E E 12#8b8ec795 12#c303fe0f 12#8abe5115 0
R 55 39 E E E 6:3132372e31000000 6#f6684c5a 6#794026ae 6#698d875a 0
R 55 40 E E E E 12#91cb13b6 12#0a7f5a82 12#f88610b6 0
R 55 41 E E E 7:582d6b65793a0000 7#974656d5 7#31cb1fcf 7#e02b4055 0
R 55 42 E E E E 10#c5ba7c29 10#44d09d0b 10#79f60ba9 0
R 55 43 E E E 7:3a76616c75650000 7#7e975222 7#de9bc486 7#a718c922 0
R 55 44 E E E 5:582d3a7600000000 5#b33863ae 5#0ba499ea 5#858344ae 0
R 55 45 E E E 8:582d6b3a613a6200 8#d2e103c2 8#4b03b366 8#caf02ac2 0
R 55 46 E E E E 12#2a76cd96 12#b49b6622 12#d81c5a96 0
R 55 47 E E E E 10#be2a080a 10#1edc34be 10#b5102b0a 0
R 55 48 E E E E 10#8e38e862 10#b07b6b46 10#5a883f62 0
R 55 49 E E E E 12#31b54452 12#616ede16 12#47366352 0
R 55 50 E E E E 21#476da1cd 21#7ff00037 21#a1d0ef4d 0
R 55 51 E E E E 12#9d9dbd17 12#523f22b5 12#4f6a8d97 0
A 57 9
R 58 0 E E E E E E E 0
R 58 1 E E E E E E E 0
R 58 2 E E E E E E E 0
R 58 3 E E E E E E E 0
R 58 4 E E E E E E E 0
R 58 5 E E E E E E E 0
R 58 6 E E E E E E E 0
R 58 7 E E E E E E E 0
R 58 8 E E E E E E E 0
R 58 9 E E E E E E E 0
R 58 10 E E E E E E E 0
R 58 11 E E E E E E E 0
R 58 12 E E E E E E E 0
R 58 13 E E E E E E E 0
R 58 18 E E E E E E E 0
R 58 44 E E E E E E E 0
A 59 58
A 60 58
A 66 9
R 68 0 E E E 5:0000000000000000 5#4d8af5a5 5#729ec93f 5#736bb725 0
R 68 1 E E E 5:0100000000000000 5#aa94b524 5#56c209ac 5#c5b2b324 0
R 68 2 E E E 5:ffffffff00000000 5#4bacb141 5#c53f9dd3 5#8dba14c1 0
R 68 3 E E E 5:0200000000000000 5#937776a7 5#aa584865 5#ceddbf27 0
R 68 4 E E E 5:0300000000000000 5#f0813626 5#8e7b88d2 5#2124bb26 0
R 68 5 E E E 5:0400000000000000 5#c1b1f3a1 5#032bcaf3 5#bc87a721 0
R 68 6 E E E 5:6400000000000000 5#207a03c1 5#7ec3bd53 5#73a82741 0
R 68 7 E E E 5:9600000000000000 5#b222bd33 5#e7110cc9 5#d00befb3 0
R 68 8 E E E 5:9dffffff00000000 5#c84cfa63 5#b1dfb759 5#e93c54e3 0
R 68 9 E E E 5:9cffffff00000000 5#1e0649e2 5#5f6aa7c6 5#2aaae0e2 0
R 68 10 E E E 5:ffff630000000000 5#d0e36f00 5#d38b3d00 5#fbe7ef00 0
R 68 11 E E E 5:0000640000000000 5#53e205e1 5#08c6a5b3 5#e1379961 0
R 68 12 E E E 5:ffffff7f00000000 5#5345efc1 5#30ae4153 5#dc2e1341 0
R 68 13 E E E 5:0000008000000000 5#55243425 5#de0d6cbf 5#c1dfb5a5 0
R 68 14 E E E E 9#4d8af5a5 9#729ec93f 9#736bb725 0
R 68 15 E E E E 9#aa94b524 9#56c209ac 9#c5b2b324 0
R 68 16 E E E E 9#1e83611d 9#b2841327 9#8254469d 0
R 68 17 E E 3:01000000 3:0100000000000000 3#aa94b524 3#56c209ac 3#c5b2b324 0
R 68 18 E 1:00 1:00000000 1:0000000000000000 1#4d8af5a5 1#729ec93f 1#736bb725 0
R 68 20 E E 2:61000000 2:6100000000000000 2#095cc544 2#d259fc0c 2#7cd33344 0
R 68 21 E E 4:61626300 4:6162630000000000 4#52a6ba61 4#8bd30b33 4#f4f40de1 0
R 68 22 E E E 6:68656c6c6f000000 6#e80eabb9 6#936484bb 6#8880b339 0
R 68 23 E E E E 17#8f91a665 17#1a76677f 17#c59d07e5 0
R 68 24 E E E E 18#1ed1fcbd 18#60256007 18#0d63923d 0
R 68 25 E E E E E E 256#294e698d 0
R 68 26 E E E E E E E 0
R 68 27 E E E E E 33#30c505bf 33#47db58a5 0
R 68 28 E E E E E 41#900998b7 41#8cd144cd 0
R 68 29 E E E E E E 42#8cd144cd 0
R 68 30 E E E E E 41#e37c7fbf 41#2c2636a5 0
R 68 31 E E E E E E 42#3a2c6ebd 0
R 68 32 E E E E E 41#6f530034 41#9b0a077c 0
R 68 33 E E E E 10#edc82d0a 10#e126f3be 10#932fd00a 0
R 68 34 E E E E 15#ec1d5c56 15#00a47e62 15#77768956 0
R 68 35 E E 4:3a3a3100 4:3a3a310000000000 4#265df504 4#d6d3074c 4#35bb8304 0
R 68 36 E E E E 12#b6d2eacf 12#2bd0575d 12#1577bf4f 0
R 68 37 E E E E 11#0c7e70e5 11#bba06eff 11#39ce9265 0
R 68 38 E E E E 12#8b8ec795 12#c303fe0f 12#8abe5115 0
R 68 39 E E E 6:3132372e31000000 6#f6684c5a 6#794026ae 6#698d875a 0
R 68 40 E E E E 12#91cb13b6 12#0a7f5a82 12#f88610b6 0
R 68 41 E E E 7:582d6b65793a0000 7#974656d5 7#31cb1fcf 7#e02b4055 0
R 68 42 E E E E 10#c5ba7c29 10#44d09d0b 10#79f60ba9 0
R 68 43 E E E 7:3a76616c75650000 7#7e975222 7#de9bc486 7#a718c922 0
R 68 44 E E E 5:582d3a7600000000 5#b33863ae 5#0ba499ea 5#858344ae 0
R 68 45 E E E 8:582d6b3a613a6200 8#d2e103c2 8#4b03b366 8#caf02ac2 0
R 68 46 E E E E 12#2a76cd96 12#b49b6622 12#d81c5a96 0
R 68 47 E E E E 10#be2a080a 10#1edc34be 10#b5102b0a 0
R 68 48 E E E E 10#8e38e862 10#b07b6b46 10#5a883f62 0
R 68 49 E E E E 12#31b54452 12#616ede16 12#47366352 0
R 68 50 E E E E 21#476da1cd 21#7ff00037 21#a1d0ef4d 0
R 68 51 E E E E 12#9d9dbd17 12#523f22b5 12#4f6a8d97 0
R 74 0 E E 4:00000000 E E E E 0
R 74 1 E E 4:01000000 E E E E 0
R 74 2 E E 4:01000000 E E E E 0
R 74 3 E E 4:01000000 E E E E 0
R 74 4 E E 4:01000000 E E E E 0
R 74 5 E E 4:01000000 E E E E 0
R 74 6 E E 4:01000000 E E E E 0
R 74 7 E E 4:01000000 E E E E 0
R 74 8 E E 4:01000000 E E E E 0
R 74 9 E E 4:01000000 E E E E 0
R 74 10 E E 4:01000000 E E E E 0
R 74 11 E E 4:01000000 E E E E 0
R 74 12 E E 4:01000000 E E E E 0
R 74 13 E E 4:01000000 E E E E 0
R 74 44 E E 4:01000000 E E E E 0
A 75 9
R 76 0 E E 4:00000000 E E E E 0
R 76 1 E E 4:00000000 E E E E 0
R 76 2 E E 4:00000000 E E E E 0
R 76 3 E E 4:00000000 E E E E 0
R 76 4 E E 4:00000000 E E E E 0
R 76 5 E E 4:00000000 E E E E 0
R 76 6 E E 4:64000000 E E E E 0
R 76 7 E E 4:64000000 E E E E 0
R 76 8 E E 4:00000000 E E E E 0
R 76 10 E E 4:9cff6300 E E E E 0
A 77 9
A 79 9
A 80 9
A 84 8
A 89 11
R 92 0 E E E 5:0000000000000000 5#4d8af5a5 5#729ec93f 5#736bb725 0
R 92 1 E E E 5:0100000000000000 5#aa94b524 5#56c209ac 5#c5b2b324 0
R 92 2 E E E 5:ffffffff00000000 5#4bacb141 5#c53f9dd3 5#8dba14c1 0
R 92 3 E E E 5:0200000000000000 5#937776a7 5#aa584865 5#ceddbf27 0
R 92 4 E E E 5:0300000000000000 5#f0813626 5#8e7b88d2 5#2124bb26 0
R 92 5 E E E 5:0400000000000000 5#c1b1f3a1 5#032bcaf3 5#bc87a721 0
R 92 6 E E E 5:6400000000000000 5#207a03c1 5#7ec3bd53 5#73a82741 0
R 92 7 E E E 5:9600000000000000 5#b222bd33 5#e7110cc9 5#d00befb3 0
R 92 8 E E E 5:9dffffff00000000 5#c84cfa63 5#b1dfb759 5#e93c54e3 0
R 92 9 E E E 5:9cffffff00000000 5#1e0649e2 5#5f6aa7c6 5#2aaae0e2 0
R 92 10 E E E 5:ffff630000000000 5#d0e36f00 5#d38b3d00 5#fbe7ef00 0
R 92 11 E E E 5:0000640000000000 5#53e205e1 5#08c6a5b3 5#e1379961 0
R 92 12 E E E 5:ffffff7f00000000 5#5345efc1 5#30ae4153 5#dc2e1341 0
R 92 13 E E E 5:0000008000000000 5#55243425 5#de0d6cbf 5#c1dfb5a5 0
R 92 14 E E E E 9#4d8af5a5 9#729ec93f 9#736bb725 0
R 92 15 E E E E 9#aa94b524 9#56c209ac 9#c5b2b324 0
R 92 16 E E E E 9#1e83611d 9#b2841327 9#8254469d 0
R 92 17 E E 3:01000000 3:0100000000000000 3#aa94b524 3#56c209ac 3#c5b2b324 0
R 92 18 E 1:00 1:00000000 1:0000000000000000 1#4d8af5a5 1#729ec93f 1#736bb725 0
R 92 20 E E 2:61000000 2:6100000000000000 2#095cc544 2#d259fc0c 2#7cd33344 0
R 92 21 E E 4:61626300 4:6162630000000000 4#52a6ba61 4#8bd30b33 4#f4f40de1 0
R 92 22 E E E 6:68656c6c6f000000 6#e80eabb9 6#936484bb 6#8880b339 0
R 92 23 E E E E 17#8f91a665 17#1a76677f 17#c59d07e5 0
R 92 33 E E E E 10#edc82d0a 10#e126f3be 10#932fd00a 0
R 92 34 E E E E 15#ec1d5c56 15#00a47e62 15#77768956 0
R 92 35 E E 4:3a3a3100 4:3a3a310000000000 4#265df504 4#d6d3074c 4#35bb8304 0
R 92 36 E E E E 12#b6d2eacf 12#2bd0575d 12#1577bf4f 0
R 92 37 E E E E 11#0c7e70e5 11#bba06eff 11#39ce9265 0
R 92 38 E E E E 12#8b8ec795 12#c303fe0f 12#8abe5115 0
R 92 39 E E E 6:3132372e31000000 6#f6684c5a 6#794026ae 6#698d875a 0
R 92 40 E E E E 12#91cb13b6 12#0a7f5a82 12#f88610b6 0
R 92 41 E E E 7:582d6b65793a0000 7#974656d5 7#31cb1fcf 7#e02b4055 0
R 92 42 E E E E 10#c5ba7c29 10#44d09d0b 10#79f60ba9 0
R 92 43 E E E 7:3a76616c75650000 7#7e975222 7#de9bc486 7#a718c922 0
R 92 44 E E E 5:582d3a7600000000 5#b33863ae 5#0ba499ea 5#858344ae 0
R 92 45 E E E 8:582d6b3a613a6200 8#d2e103c2 8#4b03b366 8#caf02ac2 0
R 92 46 E E E E 12#2a76cd96 12#b49b6622 12#d81c5a96 0
R 92 47 E E E E 10#be2a080a 10#1edc34be 10#b5102b0a 0
R 92 48 E E E E 10#8e38e862 10#b07b6b46 10#5a883f62 0
R 92 49 E E E E 12#31b54452 12#616ede16 12#47366352 0
R 92 51 E E E E 12#9d9dbd17 12#523f22b5 12#4f6a8d97 0
A 93 74
A 94 74
R 95 40 E E E E E E E 0
R 95 45 E E E E E E E 0
A 96 74
R 99 0 E E E 5:0000000000000000 5#4d8af5a5 5#729ec93f 5#736bb725 0
R 99 1 E E E 5:0100000000000000 5#aa94b524 5#56c209ac 5#c5b2b324 0
R 99 2 E E E 5:ffffffff00000000 5#4bacb141 5#c53f9dd3 5#8dba14c1 0
R 99 3 E E E 5:0200000000000000 5#937776a7 5#aa584865 5#ceddbf27 0
R 99 4 E E E 5:0300000000000000 5#f0813626 5#8e7b88d2 5#2124bb26 0
R 99 5 E E E 5:0400000000000000 5#c1b1f3a1 5#032bcaf3 5#bc87a721 0
R 99 6 E E E 5:6400000000000000 5#207a03c1 5#7ec3bd53 5#73a82741 0
R 99 7 E E E 5:9600000000000000 5#b222bd33 5#e7110cc9 5#d00befb3 0
R 99 8 E E E 5:9dffffff00000000 5#c84cfa63 5#b1dfb759 5#e93c54e3 0
R 99 9 E E E 5:9cffffff00000000 5#1e0649e2 5#5f6aa7c6 5#2aaae0e2 0
R 99 10 E E E 5:ffff630000000000 5#d0e36f00 5#d38b3d00 5#fbe7ef00 0
R 99 11 E E E 5:0000640000000000 5#53e205e1 5#08c6a5b3 5#e1379961 0
R 99 12 E E E 5:ffffff7f00000000 5#5345efc1 5#30ae4153 5#dc2e1341 0
R 99 13 E E E 5:0000008000000000 5#55243425 5#de0d6cbf 5#c1dfb5a5 0
R 99 14 E E E E 9#4d8af5a5 9#729ec93f 9#736bb725 0
R 99 15 E E E E 9#aa94b524 9#56c209ac 9#c5b2b324 0
R 99 16 E E E E 9#1e83611d 9#b2841327 9#8254469d 0
R 99 17 E E 3:01000000 3:0100000000000000 3#aa94b524 3#56c209ac 3#c5b2b324 0
R 99 18 E 1:00 1:00000000 1:0000000000000000 1#4d8af5a5 1#729ec93f 1#736bb725 0
R 99 19 E 1:00 1:00000000 1:0000000000000000 1#4d8af5a5 1#729ec93f 1#736bb725 0
R 99 20 E E 2:61000000 2:6100000000000000 2#095cc544 2#d259fc0c 2#7cd33344 0
R 99 21 E E 4:61626300 4:6162630000000000 4#52a6ba61 4#8bd30b33 4#f4f40de1 0
R 99 22 E E E 6:68656c6c6f000000 6#e80eabb9 6#936484bb 6#8880b339 0
R 99 23 E E E E 17#8f91a665 17#1a76677f 17#c59d07e5 0
R 99 24 E E E E 18#1ed1fcbd 18#60256007 18#0d63923d 0
R 99 25 E E E E E E 256#294e698d 0
R 99 27 E E E E E 33#30c505bf 33#47db58a5 0
R 99 28 E E E E E 41#900998b7 41#8cd144cd 0
R 99 29 E E E E E E 42#8cd144cd 0
R 99 30 E E E E E 41#e37c7fbf 41#2c2636a5 0
R 99 31 E E E E E E 42#3a2c6ebd 0
R 99 32 E E E E E 41#6f530034 41#9b0a077c 0
R 99 33 E E E E 10#edc82d0a 10#e126f3be 10#932fd00a 0
R 99 34 E E E E 15#ec1d5c56 15#00a47e62 15#77768956 0
R 99 35 E E 4:3a3a3100 4:3a3a310000000000 4#265df504 4#d6d3074c 4#35bb8304 0
R 99 36 E E E E 12#b6d2eacf 12#2bd0575d 12#1577bf4f 0
R 99 37 E E E E 11#0c7e70e5 11#bba06eff 11#39ce9265 0
R 99 38 E E E E 12#8b8ec795 12#c303fe0f 12#8abe5115 0
R 99 39 E E E 6:3132372e31000000 6#f6684c5a 6#794026ae 6#698d875a 0
R 99 40 E E E E 12#91cb13b6 12#0a7f5a82 12#f88610b6 0
R 99 41 E E E 7:582d6b65793a0000 7#974656d5 7#31cb1fcf 7#e02b4055 0
R 99 42 E E E E 10#c5ba7c29 10#44d09d0b 10#79f60ba9 0
R 99 43 E E E 7:3a76616c75650000 7#7e975222 7#de9bc486 7#a718c922 0
R 99 44 E E E 5:582d3a7600000000 5#b33863ae 5#0ba499ea 5#858344ae 0
R 99 45 E E E 8:582d6b3a613a6200 8#d2e103c2 8#4b03b366 8#caf02ac2 0
R 99 46 E E E E 12#2a76cd96 12#b49b6622 12#d81c5a96 0
R 99 47 E E E E 10#be2a080a 10#1edc34be 10#b5102b0a 0
R 99 48 E E E E 10#8e38e862 10#b07b6b46 10#5a883f62 0
R 99 49 E E E E 12#31b54452 12#616ede16 12#47366352 0
R 99 50 E E E E 21#476da1cd 21#7ff00037 21#a1d0ef4d 0
R 99 51 E E E E 12#9d9dbd17 12#523f22b5 12#4f6a8d97 0
A 100 99
R 109 0 E E 4:00000000 E E E E 0
R 109 1 E E 4:01000000 E E E E 0
R 109 2 E E 4:ffffffff E E E E 0
R 109 3 E E 4:02000000 E E E E 0
R 109 4 E E 4:03000000 E E E E 0
R 109 5 E E 4:04000000 E E E E 0
R 109 6 E E 4:64000000 E E E E 0
R 109 7 E E 4:96000000 E E E E 0
R 109 8 E E 4:9dffffff E E E E 0
R 109 9 E E 4:9cffffff E E E E 0
R 109 10 E E 4:ffff6300 E E E E 0
R 109 11 E E 4:00006400 E E E E 0
R 109 12 E E 4:ffffff7f E E E E 0
R 109 13 E E 4:00000080 E E E E 0
R 109 44 E E 4:582d3a76 E E E E 0
";
}
