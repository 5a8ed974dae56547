//! bridge/redaction/paths.py's automaton over field paths, with states as bit sets.
//!
//! A position is (pattern, next segment); all positions of a rule set fit in a u128, the rules
//! in a u64. Patterns with the same segments are merged; each carries the rules it includes
//! and the rules it excludes. States are computed as the walk goes, from per-position tables;
//! under a fully matched path (the common case) a state has no live position left and stands
//! for its whole subtree, and the root's transitions are computed once.

use regex::Regex;

pub enum Segment {
    Key(String),
    Any,
    Deep,
    Glob(Regex),
}

impl Segment {
    /// `key` None: a key no `Key` segment names.
    fn matches(&self, key: Option<&str>) -> bool {
        match (self, key) {
            (Segment::Key(text), Some(key)) => text == key,
            (Segment::Glob(glob), Some(key)) => glob.is_match(key),
            (Segment::Any | Segment::Deep, _) => true,
            _ => false,
        }
    }
}

pub struct Pattern {
    pub segments: Vec<Segment>,
    pub includes: u64,
    pub excludes: u64,
}

/// One position: the segment it waits for (None: the pattern is fully matched) and its pattern's rules.
struct Position {
    segment: Option<Segment>,
    includes: u64,
    excludes: u64,
}

/// Positions in force for one set of active rules.
#[derive(Clone, Copy)]
pub struct Active {
    pub rules: u64,
    positions: u128, // positions of patterns naming an active rule
    includes: u128,  // ... of patterns including one
}

pub struct Automaton {
    positions: Vec<Position>,
    starts: u128,
    deep: u128,
    accepting: u128,
    whole_field: u64,
    every: Active,
    root: State,                       // with every rule active
    root_keys: Vec<(String, State)>,   // root transitions with every rule active
    root_other: Option<State>,         // for any other key (None: some root segment is a glob)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct State {
    live: u128,
    pub content: u64,
    excluded: u64,
    pub whole: Option<u32>,
    pub dead: bool,
    root: bool,
}

pub const MAX_POSITIONS: usize = 128;

impl Automaton {
    /// None when the positions do not fit in a u128.
    pub fn new(patterns: Vec<Pattern>, whole_field: u64, every: u64) -> Option<Automaton> {
        let total: usize = patterns.iter().map(|p| p.segments.len() + 1).sum();
        if total > MAX_POSITIONS {
            return None;
        }
        let mut automaton = Automaton {
            positions: Vec::with_capacity(total),
            starts: 0,
            deep: 0,
            accepting: 0,
            whole_field,
            every: Active { rules: 0, positions: 0, includes: 0 },
            root: State { live: 0, content: 0, excluded: 0, whole: None, dead: true, root: true },
            root_keys: Vec::new(),
            root_other: None,
        };
        for pattern in patterns {
            automaton.starts |= 1 << automaton.positions.len();
            for segment in pattern.segments.into_iter().map(Some).chain([None]) {
                let bit = 1u128 << automaton.positions.len();
                match segment {
                    Some(Segment::Deep) => automaton.deep |= bit,
                    None => automaton.accepting |= bit,
                    _ => {}
                }
                automaton.positions.push(Position { segment, includes: pattern.includes, excludes: pattern.excludes });
            }
        }
        automaton.every = automaton.active(every);
        let root = automaton.root(&automaton.every);
        automaton.root = root;
        let mut keys = Vec::new();
        let mut globbed = false;
        for bit in bits128(root.live) {
            match &automaton.positions[bit].segment {
                Some(Segment::Key(key)) if !keys.iter().any(|(k, _)| k == key) => {
                    keys.push((key.clone(), automaton.step_slow(&root, Some(key), &automaton.every)));
                }
                Some(Segment::Glob(_)) => globbed = true,
                _ => {}
            }
        }
        if !globbed {
            // a key no root segment names: only wildcards move on, whatever the key
            automaton.root_other = Some(automaton.step_slow(&root, None, &automaton.every));
        }
        automaton.root_keys = keys;
        Some(automaton)
    }

    pub fn active(&self, rules: u64) -> Active {
        let mut active = Active { rules, positions: 0, includes: 0 };
        for (bit, position) in self.positions.iter().enumerate() {
            if (position.includes | position.excludes) & rules != 0 {
                active.positions |= 1 << bit;
            }
            if position.includes & rules != 0 {
                active.includes |= 1 << bit;
            }
        }
        active
    }

    pub fn every(&self) -> &Active {
        &self.every
    }

    fn closure(&self, mut positions: u128) -> u128 {
        loop {
            let grown = positions | ((positions & self.deep) << 1);
            if grown == positions {
                return positions;
            }
            positions = grown;
        }
    }

    pub fn root(&self, active: &Active) -> State {
        if active.rules == self.every.rules && !self.root.dead {
            return self.root;
        }
        self.state(self.closure(self.starts), 0, 0, true, active)
    }

    fn state(&self, positions: u128, inherited: u64, excluded: u64, root: bool, active: &Active) -> State {
        let positions = positions & active.positions;
        let (mut accepted_in, mut accepted_out) = (0u64, 0u64);
        for bit in bits128(positions & self.accepting) {
            accepted_in |= self.positions[bit].includes;
            accepted_out |= self.positions[bit].excludes;
        }
        let live = positions & !self.accepting;
        let excluded = excluded | (accepted_out & active.rules);
        let here = accepted_in & active.rules & !excluded;
        let whole_rules = here & self.whole_field;
        let whole = (!root && whole_rules != 0).then(|| whole_rules.trailing_zeros());
        let content = (inherited | here) & !excluded & !self.whole_field;
        let dead = whole.is_none() && content == 0 && live & active.includes == 0;
        State { live, content, excluded, whole, dead, root }
    }

    pub fn step(&self, state: &State, key: &str, active: &Active) -> State {
        if state.live == 0 && state.whole.is_none() {
            return *state; // nothing left to match: the subtree is in this state throughout
        }
        if state.root && active.rules == self.every.rules {
            if let Some((_, found)) = self.root_keys.iter().find(|(k, _)| k == key) {
                return *found;
            }
            if let Some(other) = self.root_other {
                return other;
            }
        }
        self.step_slow(state, Some(key), active)
    }

    fn step_slow(&self, state: &State, key: Option<&str>, active: &Active) -> State {
        let mut following = 0u128;
        for bit in bits128(state.live) {
            match &self.positions[bit].segment {
                Some(Segment::Deep) => following |= 1 << bit,
                Some(segment) if segment.matches(key) => following |= 1 << (bit + 1),
                _ => {}
            }
        }
        self.state(self.closure(following), state.content, state.excluded, false, active)
    }
}

/// The set bits of `mask`, lowest first.
pub fn bits128(mut mask: u128) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (mask != 0).then(|| {
            let bit = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            bit
        })
    })
}
