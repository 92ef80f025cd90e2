//! PROTOCOL.md test vector data (also in `test-vectors.json`).

pub const SECRET: &[u8] = b"agentry-pow test vector secret";
pub const ID: [u8; 16] =
    [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];
pub const EXPIRES_AT: u64 = 1_893_456_000;
pub const SUBJECT: u64 = 42;
pub fn public_key() -> Vec<u8> {
    (1u8..=32).collect()
}
pub struct Vector {
    pub difficulty: u8,
    pub k: u8,
    pub token: &'static str,
    pub c: &'static str,
    pub target: &'static str,
    pub prefix0: &'static str,
    pub nonces: &'static [u64],
}
pub const VECTORS: [Vector; 2] = [
    Vector {
        difficulty: 8,
        k: 8,
        token: "AQARIjNEVWZ3iJmqu8zd7v8ICAAAAABw29iAAAAAAAAAACofkktnj_xPvLY5HmZJv8mQ306hZDSnVJwAyNFtdziY2Q",
        c: "a29c6689ff3c387db598d5a0f5116d118f0165d0848ea1ef4f2bb7fa7e8046b3",
        target: "0100000000000000",
        prefix0: "caf59bafe8b8101d",
        nonces: &[163, 634, 952, 983, 1050, 1107, 1748, 2563],
    },
    Vector {
        difficulty: 12,
        k: 4,
        token: "AQARIjNEVWZ3iJmqu8zd7v8MBAAAAABw29iAAAAAAAAAACoFUhsuLdX6VAlkf2vYcef3231GsPB7IG3lG1hvOOsiQA",
        c: "bfcf5b14c852fe58427f39948c8a3c029803d75d69fd2e661d7c1797220f76d9",
        target: "0010000000000000",
        prefix0: "dd0b9be90ba20b30",
        nonces: &[929, 12056, 18333, 20611],
    },
];
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
