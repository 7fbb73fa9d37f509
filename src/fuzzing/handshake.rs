//! Targets over each security mechanism's handshake (NULL, PLAIN, CURVE),
//! driven the way the session drives them: our commands out, the peer's
//! frames in, a ZAP verdict when a server asks for one.
//!
//! Input: two selector bytes (socket type; role, ZAP and options), then
//! what the peer sent after its greeting (ZMTP frames), as captured.

use super::codec::{socket_type, type_check, type_name};
use super::{pieces, Input};
use crate::io::session::{compatible, unbox};
use crate::msg::{flags, Msg, SharedBuf};
use crate::zmtp::command::Command;
use crate::zmtp::curve::{self, Codec, CurveClient, CurveServer, KEY_SIZE};
use crate::zmtp::frame::Decoder;
use crate::zmtp::mechanism::{LocalProperties, Mechanism, Null, Status};
use crate::zmtp::plain::{PlainClient, PlainServer};

/// How a server's ZAP request is answered.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Zap {
    /// No handler bound (ZAP_ENFORCE_DOMAIN or not).
    Absent { enforce: bool },
    /// The handler's status code.
    Verdict(u16),
}

impl Zap {
    pub(crate) fn from_selector(sel: u8) -> Zap {
        match sel & 7 {
            0 => Zap::Absent { enforce: false },
            1 => Zap::Absent { enforce: true },
            2 => Zap::Verdict(300),
            3 => Zap::Verdict(400),
            4 => Zap::Verdict(500),
            _ => Zap::Verdict(200),
        }
    }
}

/// The session's `send_handshake_commands`: a ZAP request first (answered
/// here at once), then every command the mechanism has. Err: the
/// handshake is over (failed, or stuck waiting as after a 300).
pub(crate) fn send_commands(
    mech: &mut dyn Mechanism,
    zap: Zap,
    out: &mut Vec<Vec<u8>>,
) -> Result<(), ()> {
    if let Some(req) = mech.zap_request() {
        let frames = req.frames(b"domain", b"127.0.0.1:5555", b"id");
        assert!(frames.len() >= 6, "a ZAP request has at least 6 frames");
        match zap {
            Zap::Absent { enforce } => {
                if !mech.zap_unavailable(enforce) {
                    return Err(());
                }
            }
            Zap::Verdict(300) => return Err(()),
            Zap::Verdict(status) => mech.zap_reply(status),
        }
    }
    let mut n = 0;
    while let Some(body) = mech.next_command() {
        n += 1;
        assert!(n <= 4, "a mechanism kept producing commands");
        assert!(Command::parse(&body).is_ok(), "we sent a malformed command");
        out.push(body);
    }
    if mech.status() == Status::Error {
        return Err(());
    }
    Ok(())
}

/// Runs one side's handshake against the peer's frames. Returns the
/// mechanism if it became ready (the frames after that are the peer's
/// messages, not handshake commands).
pub(crate) fn run(mech: &mut dyn Mechanism, zap: Zap, peer: &[u8], socket_type: i32) -> bool {
    let mut sent = Vec::new();
    if send_commands(mech, zap, &mut sent).is_err() {
        return false;
    }
    let mut frames: Vec<Msg> = Vec::new();
    let mut decoder = Decoder::new(Some(1 << 16));
    let _ = decoder.decode(peer, &mut |m| {
        frames.push(m.take());
        true
    });
    for msg in frames {
        if mech.status() == Status::Ready {
            break;
        }
        if msg.flags() & flags::COMMAND == 0 || mech.process_command(msg.data()).is_err() {
            return false;
        }
        if send_commands(mech, zap, &mut sent).is_err() {
            return false;
        }
    }
    if mech.status() != Status::Ready {
        return false;
    }
    // A handshake never completes with a peer of an incompatible type.
    if let Some((_, t)) = mech
        .peer_properties()
        .iter()
        .find(|(n, _)| n == b"Socket-Type")
    {
        assert!(compatible(socket_type, t), "ready with a {t:?} peer");
    }
    true
}

fn local(t: i32, sel: u8) -> LocalProperties {
    LocalProperties {
        socket_type: type_name(t),
        identity: (sel & 0x80 != 0).then(|| b"fuzz-id".to_vec()),
        app: if sel & 0x40 != 0 {
            vec![(b"X-Fuzz".to_vec(), b"yes".to_vec())]
        } else {
            Vec::new()
        },
    }
}

/// NULL (RFC 23/37), with or without a ZAP domain.
pub fn null(data: &[u8]) {
    let mut input = Input::new(data);
    let t = socket_type(input.byte());
    let sel = input.byte();
    let mut mech = Null::new(local(t, sel), type_check(t));
    if sel & 0x08 != 0 {
        mech = mech.with_zap();
    }
    run(&mut mech, Zap::from_selector(sel), input.rest(), t);
}

/// PLAIN (RFC 24), as client (fixed credentials) or server (ZAP decides).
pub fn plain(data: &[u8]) {
    let mut input = Input::new(data);
    let t = socket_type(input.byte());
    let sel = input.byte();
    let mut mech: Box<dyn Mechanism> = if sel & 0x08 != 0 {
        Box::new(PlainClient::new(
            local(t, sel),
            type_check(t),
            b"admin",
            b"password",
        ))
    } else {
        Box::new(PlainServer::new(local(t, sel), type_check(t)))
    };
    run(mech.as_mut(), Zap::from_selector(sel), input.rest(), t);
}

/// The key pairs of libzmq's CURVE tests (and the capture script's).
pub const SERVER_PUBLIC: &[u8; 40] = b"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
pub const SERVER_SECRET: &[u8; 40] = b"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
pub const CLIENT_PUBLIC: &[u8; 40] = b"Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
pub const CLIENT_SECRET: &[u8; 40] = b"D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";

pub(crate) fn key(z85: &[u8; 40]) -> [u8; KEY_SIZE] {
    let mut k = [0u8; KEY_SIZE];
    if let Some(bytes) = crate::util::z85::decode(z85) {
        k.copy_from_slice(&bytes);
    }
    k
}

pub(crate) fn curve_client(t: i32, sel: u8) -> Option<CurveClient> {
    CurveClient::new(
        local(t, sel),
        type_check(t),
        key(CLIENT_PUBLIC),
        key(CLIENT_SECRET),
        key(SERVER_PUBLIC),
    )
    .ok()
}

pub(crate) fn curve_server(t: i32, sel: u8) -> CurveServer {
    let s = CurveServer::new(local(t, sel), type_check(t), key(SERVER_SECRET));
    if sel & 0x20 != 0 {
        s.without_zap()
    } else {
        s
    }
}

/// CURVE (RFC 25/26): one side against the peer's frames (what gets past
/// the length and version checks before any box opens); or, with the
/// selector's 0x10 bit, our client against our server with the input
/// tampering with the commands in flight, then MESSAGE boxes both ways,
/// honest and forged.
pub fn curve(data: &[u8]) {
    let mut input = Input::new(data);
    let t = socket_type(input.byte());
    let sel = input.byte();
    if sel & 0x10 != 0 {
        return curve_pair(t, sel, input);
    }
    let zap = Zap::from_selector(sel);
    if sel & 0x08 != 0 {
        let Some(mut c) = curve_client(t, sel) else {
            return;
        };
        run(&mut c, zap, input.rest(), t);
    } else {
        let mut s = curve_server(t, sel);
        run(&mut s, zap, input.rest(), t);
    }
}

/// What the input does to a command in flight.
fn tamper(op: u8, arg: u8, body: &mut Vec<u8>, last: &[u8]) {
    match op % 8 {
        1 if !body.is_empty() => {
            let i = arg as usize % body.len();
            body[i] ^= 1 << (op >> 5);
        }
        2 => body.truncate(arg as usize),
        3 => body.extend(std::iter::repeat(arg).take(1 + (op >> 4) as usize)),
        4 => *body = last.to_vec(),
        5 => body.clear(),
        _ => {}
    }
}

fn curve_pair(t: i32, sel: u8, mut input: Input) {
    let Some(mut c) = curve_client(t, sel) else {
        return;
    };
    let mut s = curve_server(t, sel);
    let zap = Zap::from_selector(sel);
    let mut last = Vec::new();
    let mut ok = true;
    'handshake: for round in 0..8 {
        let (a, b): (&mut dyn Mechanism, &mut dyn Mechanism) = if round % 2 == 0 {
            (&mut c, &mut s)
        } else {
            (&mut s, &mut c)
        };
        let mut out = Vec::new();
        if send_commands(a, zap, &mut out).is_err() {
            ok = false;
            break 'handshake;
        }
        for mut body in out {
            let (op, arg) = (input.byte(), input.byte());
            let honest = body.clone();
            tamper(op, arg, &mut body, &last);
            last = honest;
            if b.process_command(&body).is_err() {
                ok = false;
                break 'handshake;
            }
        }
    }
    if !ok || c.status() != Status::Ready || s.status() != Status::Ready {
        return;
    }
    let (Some(mut cc), Some(mut sc)) = (c.take_codec(), s.take_codec()) else {
        panic!("a ready CURVE side has no codec");
    };
    for (i, piece) in pieces(input.rest()).iter().enumerate() {
        let (tx, rx): (&mut Codec, &mut Codec) = if i % 2 == 0 {
            (&mut cc, &mut sc)
        } else {
            (&mut sc, &mut cc)
        };
        let f = piece.first().copied().unwrap_or(0);
        let body = piece.get(1..).unwrap_or(&[]);
        if f & 0x80 != 0 {
            // Forged: the piece itself as a MESSAGE body.
            let mut m = message(body, f & 0x40 != 0);
            assert!(unbox(rx, &mut m).is_err(), "a forged MESSAGE opened");
            // The session drops the connection here.
            return;
        }
        let inner = f & (curve::message_flags::MORE | curve::message_flags::COMMAND);
        let mut wire = Vec::new();
        if tx.encode(inner, &[body], &mut wire).is_err() {
            return;
        }
        // Strip the ZMTP frame header the codec wrote.
        let header = if wire[0] & 0x02 != 0 { 9 } else { 2 };
        let mut m = message(&wire[header..], f & 0x40 != 0);
        if f & 0x20 != 0 {
            // Tampered on the way: must not open.
            let at = (f as usize) % m.size();
            let mut bytes = m.data().to_vec();
            bytes[at] ^= 0x01;
            let mut bad = message(&bytes, false);
            assert!(unbox(rx, &mut bad).is_err(), "a tampered MESSAGE opened");
            return;
        }
        unbox(rx, &mut m).expect("an honest MESSAGE opens");
        assert_eq!(m.data(), body);
        assert_eq!(m.more(), inner & curve::message_flags::MORE != 0);
        assert_eq!(
            m.flags() & flags::COMMAND != 0,
            inner & curve::message_flags::COMMAND != 0
        );
    }
}

/// A received frame as the decoder hands it out: its own payload, or a
/// slice of a shared read buffer (then opened into a copy).
fn message(body: &[u8], shared: bool) -> Msg {
    if shared {
        if let Ok(mut buf) = SharedBuf::new(body.len().max(1)) {
            buf.spare_mut()[..body.len()].copy_from_slice(body);
            buf.advance(body.len());
            let mut m = Msg::new();
            if buf.slice_into(0, body.len(), 0, &mut m) {
                return m;
            }
        }
    }
    Msg::from_slice(body).unwrap_or_default()
}
