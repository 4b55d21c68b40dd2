//! Turning a stream of token bytes into text that is safe to send: whole UTF-8 characters only,
//! and nothing that might turn out to be the start of a stop sequence.
//!
//! Pure logic, no llama.cpp: the engine feeds each token's bytes in and sends out what comes back.

/// What [`TextStream::push`] decided about the text seen so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Push {
    /// Text that can be sent now (possibly empty while bytes or a possible stop are held back).
    Emit(String),
    /// A stop sequence matched: send this last piece (the text before the stop) and finish.
    Stop(String),
}

/// Holds back incomplete UTF-8 and possible stop-sequence prefixes between tokens.
#[derive(Debug, Default)]
pub struct TextStream {
    bytes: Vec<u8>,
    held: String,
    stops: Vec<String>,
}

impl TextStream {
    pub fn new(stops: Vec<String>) -> Self {
        let stops = stops.into_iter().filter(|s| !s.is_empty()).collect();
        Self {
            bytes: Vec::new(),
            held: String::new(),
            stops,
        }
    }

    /// Adds one token's bytes.
    pub fn push(&mut self, piece: &[u8]) -> Push {
        self.bytes.extend_from_slice(piece);
        self.decode_complete();
        if let Some(at) = self
            .stops
            .iter()
            .filter_map(|s| self.held.find(s.as_str()))
            .min()
        {
            let out = self.held[..at].to_string();
            self.held.clear();
            self.bytes.clear();
            return Push::Stop(out);
        }
        let keep = self.longest_stop_prefix_suffix();
        let cut = self.held.len() - keep;
        let out = self.held[..cut].to_string();
        self.held.drain(..cut);
        Push::Emit(out)
    }

    /// Everything still held back, at the end of generation. Invalid UTF-8 becomes U+FFFD.
    pub fn finish(&mut self) -> String {
        let tail = String::from_utf8_lossy(&self.bytes).into_owned();
        self.bytes.clear();
        let mut out = std::mem::take(&mut self.held);
        out.push_str(&tail);
        out
    }

    /// Moves every complete character from `bytes` to `held`; an incomplete sequence at the end
    /// waits for the next token, while a sequence that can never be valid becomes U+FFFD.
    fn decode_complete(&mut self) {
        loop {
            match std::str::from_utf8(&self.bytes) {
                Ok(s) => {
                    self.held.push_str(s);
                    self.bytes.clear();
                    return;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    // SAFETY-free: the prefix was just validated.
                    self.held
                        .push_str(std::str::from_utf8(&self.bytes[..valid]).unwrap_or(""));
                    match e.error_len() {
                        None => {
                            self.bytes.drain(..valid);
                            return;
                        }
                        Some(bad) => {
                            self.held.push('\u{FFFD}');
                            self.bytes.drain(..valid + bad);
                        }
                    }
                }
            }
        }
    }

    /// Length in bytes of the longest suffix of `held` that is a proper prefix of a stop sequence.
    fn longest_stop_prefix_suffix(&self) -> usize {
        let mut best = 0;
        for stop in &self.stops {
            let max = stop.len().saturating_sub(1).min(self.held.len());
            for len in (best + 1..=max).rev() {
                let start = self.held.len() - len;
                if self.held.is_char_boundary(start) && stop.starts_with(&self.held[start..]) {
                    best = len;
                    break;
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multibyte_characters_wait_for_their_last_byte() {
        let mut t = TextStream::new(vec![]);
        let snow = "é".as_bytes();
        assert_eq!(t.push(&snow[..1]), Push::Emit(String::new()));
        assert_eq!(t.push(&snow[1..]), Push::Emit("é".into()));
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let mut t = TextStream::new(vec![]);
        assert_eq!(t.push(b"a\xffb"), Push::Emit("a\u{FFFD}b".into()));
        assert_eq!(t.push(b"\xe2\x82"), Push::Emit(String::new()));
        assert_eq!(t.finish(), "\u{FFFD}");
    }

    #[test]
    fn stop_sequences_split_across_tokens_are_caught() {
        let mut t = TextStream::new(vec!["END".into()]);
        assert_eq!(t.push(b"hello E"), Push::Emit("hello ".into()));
        assert_eq!(t.push(b"N"), Push::Emit(String::new()));
        assert_eq!(t.push(b"D and more"), Push::Stop(String::new()));
    }

    #[test]
    fn a_false_start_is_released() {
        let mut t = TextStream::new(vec!["END".into()]);
        assert_eq!(t.push(b"EN"), Push::Emit(String::new()));
        assert_eq!(t.push(b"O"), Push::Emit("ENO".into()));
        assert_eq!(t.finish(), "");
    }

    #[test]
    fn earliest_of_several_stops_wins() {
        let mut t = TextStream::new(vec!["bb".into(), "a".into()]);
        assert_eq!(t.push(b"xxbbya"), Push::Stop("xx".into()));
    }

    #[test]
    fn held_text_is_flushed_at_the_end() {
        let mut t = TextStream::new(vec!["STOP".into()]);
        assert_eq!(t.push(b"ST"), Push::Emit(String::new()));
        assert_eq!(t.finish(), "ST");
    }
}
