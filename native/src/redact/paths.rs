//! bridge/redaction/paths.py's automaton over field paths, with states as bit sets.
//!
//! A position is (pattern, next segment); all positions of a rule set fit in a u128, the rules
//! in a u64. Patterns with the same segments are merged; each carries the rules it includes
//! and the rules it excludes. States are computed as the walk goes, without a cache: a step
//! costs a pass over the live positions, and under a fully matched path (the common case) a
//! state has none left and stands for its whole subtree.

use regex::Regex;

pub enum Segment {
    Key(String),
    Any,
    Deep,
    Glob(Regex),
}

impl Segment {
    fn matches(&self, key: &str) -> bool {
        match self {
            Segment::Key(text) => text == key,
            Segment::Glob(glob) => glob.is_match(key),
            Segment::Any | Segment::Deep => true,
        }
    }
}

pub struct Pattern {
    pub segments: Vec<Segment>,
    pub includes: u64,
    pub excludes: u64,
}

pub struct Automaton {
    patterns: Vec<Pattern>,
    offsets: Vec<u32>, // position of (pattern, 0)
    whole_field: u64,  // rules that act on whole fields
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct State {
    live: u128,
    pub content: u64,
    excluded: u64,
    pub whole: Option<u32>,
    pub dead: bool,
}

pub const MAX_POSITIONS: usize = 128;

impl Automaton {
    /// None when the positions do not fit in a u128.
    pub fn new(patterns: Vec<Pattern>, whole_field: u64) -> Option<Automaton> {
        let mut offsets = Vec::with_capacity(patterns.len());
        let mut total = 0usize;
        for pattern in &patterns {
            offsets.push(total as u32);
            total += pattern.segments.len() + 1;
        }
        (total <= MAX_POSITIONS).then_some(Automaton { patterns, offsets, whole_field })
    }

    fn position(&self, pattern: usize, index: usize) -> u32 {
        self.offsets[pattern] + index as u32
    }

    /// Every pattern at its first segment, with `**` closures; only rules in `active` count.
    pub fn root(&self, active: u64) -> State {
        let mut positions = 0u128;
        for pattern in 0..self.patterns.len() {
            positions |= 1 << self.position(pattern, 0);
        }
        self.state(self.closure(positions), 0, 0, true, active)
    }

    fn each(&self, positions: u128, mut visit: impl FnMut(usize, usize)) {
        for (pattern, &offset) in self.offsets.iter().enumerate() {
            let width = self.patterns[pattern].segments.len() as u32 + 1;
            let mut bits = (positions >> offset) & if width >= 128 { u128::MAX } else { (1u128 << width) - 1 };
            while bits != 0 {
                let index = bits.trailing_zeros() as usize;
                visit(pattern, index);
                bits &= bits - 1;
            }
        }
    }

    fn closure(&self, mut positions: u128) -> u128 {
        for (pattern, item) in self.patterns.iter().enumerate() {
            for (index, segment) in item.segments.iter().enumerate() {
                if matches!(segment, Segment::Deep) && positions & (1 << self.position(pattern, index)) != 0 {
                    positions |= 1 << self.position(pattern, index + 1);
                }
            }
        }
        positions
    }

    fn state(&self, positions: u128, inherited: u64, excluded: u64, at_root: bool, active: u64) -> State {
        let (mut accepted_in, mut accepted_out, mut live, mut includes_live) = (0u64, 0u64, 0u128, false);
        self.each(positions, |pattern, index| {
            let item = &self.patterns[pattern];
            if item.includes & active == 0 && item.excludes & active == 0 {
                return;
            }
            if index == item.segments.len() {
                accepted_in |= item.includes;
                accepted_out |= item.excludes;
            } else {
                live |= 1 << self.position(pattern, index);
                includes_live |= item.includes & active != 0;
            }
        });
        let excluded = excluded | (accepted_out & active);
        let here = accepted_in & active & !excluded;
        let whole_rules = here & self.whole_field;
        let whole = (!at_root && whole_rules != 0).then(|| whole_rules.trailing_zeros());
        let content = (inherited | here) & !excluded & !self.whole_field;
        State { live, content, excluded, whole, dead: whole.is_none() && content == 0 && !includes_live }
    }

    pub fn step(&self, state: &State, key: &str, active: u64) -> State {
        if state.live == 0 && state.whole.is_none() {
            return *state; // nothing left to match: the subtree is in this state throughout
        }
        let mut following = 0u128;
        self.each(state.live, |pattern, index| match &self.patterns[pattern].segments[index] {
            Segment::Deep => following |= 1 << self.position(pattern, index),
            segment if segment.matches(key) => following |= 1 << self.position(pattern, index + 1),
            _ => {}
        });
        self.state(self.closure(following), state.content, state.excluded, false, active)
    }
}
