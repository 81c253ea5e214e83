//! Deterministic synthetic text for benchmarks and load tests: a Zipf-like vocabulary of
//! English and made-up words with some Chinese and Japanese, so the in-process benchmark and the
//! HTTP benchmark (with its PostgreSQL comparison) index and query exactly the same corpus.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss
)]

pub const COMMON: &str = "the be to of and a in that have it for not on with he as you do at this but \
his by from they we say her she or an will my one all would there their what so up out if about \
who get which go me when make can like time no just him know take people into year your good some \
could them see other than then now look only come its over think also back after use two how our \
work first well way even new want because any these give day most us release deploy meeting \
budget review design server client invoice ticket customer project board task deadline sprint \
roadmap feedback launch build test bug fix merge branch issue report team plan week monday \
friday morning today tomorrow update status draft schedule contract payment office travel \
training holiday leave approve reject urgent question answer thanks please sorry great café \
naïve résumé";

pub const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ber", "dan", "fel", "gor", "hin", "jul",
    "kor", "lin", "mar", "nol", "pes", "qua", "ris", "sol", "tur", "vex",
];

pub const CJK: [&str; 16] = [
    "搜索",
    "引擎",
    "会议",
    "项目",
    "发布",
    "预算",
    "客户",
    "东京",
    "タワー",
    "検索",
    "会議",
    "資料",
    "確認",
    "明日",
    "今日",
    "問題",
];

/// xorshift64*: deterministic and dependency-free.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A vocabulary of 30,000 words: common English (and a few accented) words, then made-up ones.
pub struct Corpus {
    pub words: Vec<String>,
}

impl Corpus {
    /// The vocabulary, the same on every run.
    pub fn new() -> Self {
        let mut words: Vec<String> = COMMON.split_whitespace().map(str::to_owned).collect();
        let mut rng = Rng(42);
        while words.len() < 30_000 {
            let n = 2 + rng.below(3);
            let w: String = (0..n)
                .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
                .collect();
            words.push(w);
        }
        Corpus { words }
    }

    /// Zipf-like: the cube of a uniform number favours the head of the list.
    pub fn word(&self, rng: &mut Rng) -> &str {
        let u = rng.unit();
        &self.words[((self.words.len() as f64) * u * u * u) as usize]
    }

    /// `words` words; 3% of texts are Chinese or Japanese instead.
    pub fn text(&self, rng: &mut Rng, words: usize) -> String {
        if rng.below(100) < 3 {
            return (0..words.max(2) / 2)
                .map(|_| CJK[rng.below(CJK.len())])
                .collect();
        }
        let mut s = String::with_capacity(words * 7);
        for i in 0..words {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(self.word(rng));
        }
        s
    }
}

impl Default for Corpus {
    fn default() -> Self {
        Self::new()
    }
}
