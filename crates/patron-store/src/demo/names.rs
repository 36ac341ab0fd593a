//! Word lists for the demo archive: names, organisations, addresses, phones and e-mails in the
//! four languages the method was written in (English, Simplified Chinese, Traditional Chinese,
//! Korean).
//!
//! Names are composed from surname and given-name parts so a million customers are mostly
//! distinct while each name still looks like one a real shop would have on file. Every native
//! part carries a romanisation, because e-mail addresses have to be ASCII.
//!
//! E-mail domains all end in `.example` (reserved by RFC 2606), so a campaign accidentally sent
//! from a demo database reaches nobody.

use super::sample::{below, between, chance, pick, weighted_pick};
use chrono::{Datelike, NaiveDate};
use patron_core::Gender;
use rand::Rng;
use std::fmt::Write;

/// The language and writing system of one customer's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Script {
    English,
    Simplified,
    Traditional,
    Korean,
}

impl Script {
    pub const ALL: [Script; 4] = [
        Script::English,
        Script::Simplified,
        Script::Traditional,
        Script::Korean,
    ];
}

/// Which kind of organisation a name was made for; it drives tags and order sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgKind {
    /// A café, bakery or shop buying for its own counter.
    Shop,
    /// A dealer or agent (대리점, 经销商) reselling our products.
    Dealer,
    /// A franchisee (가맹점, 加盟店) of a chain.
    Franchisee,
    /// A company buying for its offices or hotels.
    Company,
}

// ---------------------------------------------------------------------------------------------
// Person names
// ---------------------------------------------------------------------------------------------

/// (surname, romanisation, relative frequency)
type Surname = (&'static str, &'static str, u32);
/// (character or syllable, romanisation)
type Part = (&'static str, &'static str);

#[rustfmt::skip]
const CN_SURNAMES: &[Surname] = &[
    ("王", "wang", 71), ("李", "li", 79), ("张", "zhang", 71), ("刘", "liu", 54), ("陈", "chen", 45),
    ("杨", "yang", 31), ("黄", "huang", 22), ("赵", "zhao", 23), ("吴", "wu", 20), ("周", "zhou", 19),
    ("徐", "xu", 13), ("孙", "sun", 13), ("马", "ma", 11), ("朱", "zhu", 11), ("胡", "hu", 11),
    ("郭", "guo", 11), ("何", "he", 9), ("高", "gao", 10), ("林", "lin", 9), ("罗", "luo", 9),
    ("郑", "zheng", 8), ("梁", "liang", 7), ("谢", "xie", 6), ("宋", "song", 5), ("唐", "tang", 5),
    ("许", "xu", 5), ("韩", "han", 4), ("冯", "feng", 4), ("邓", "deng", 4), ("曹", "cao", 4),
    ("彭", "peng", 4), ("曾", "zeng", 4), ("肖", "xiao", 4), ("田", "tian", 4), ("董", "dong", 3),
    ("袁", "yuan", 3), ("潘", "pan", 3), ("于", "yu", 3), ("蒋", "jiang", 3), ("蔡", "cai", 3),
    ("余", "yu", 3), ("杜", "du", 3), ("叶", "ye", 3), ("程", "cheng", 3), ("苏", "su", 3),
    ("魏", "wei", 3), ("吕", "lv", 3), ("丁", "ding", 3), ("任", "ren", 3), ("沈", "shen", 3),
    ("姚", "yao", 2), ("卢", "lu", 2), ("姜", "jiang", 2), ("崔", "cui", 2), ("钟", "zhong", 2),
    ("谭", "tan", 2), ("陆", "lu", 2), ("汪", "wang", 2), ("范", "fan", 2), ("金", "jin", 2),
    ("石", "shi", 2), ("廖", "liao", 2), ("贾", "jia", 2), ("夏", "xia", 2), ("韦", "wei", 2),
    ("付", "fu", 2), ("方", "fang", 2), ("白", "bai", 2), ("邹", "zou", 2), ("孟", "meng", 2),
    ("熊", "xiong", 2), ("秦", "qin", 2), ("邱", "qiu", 2), ("江", "jiang", 2), ("尹", "yin", 2),
    ("薛", "xue", 2), ("闫", "yan", 2), ("段", "duan", 2), ("雷", "lei", 2), ("侯", "hou", 2),
    ("龙", "long", 2), ("史", "shi", 2), ("陶", "tao", 1), ("黎", "li", 1), ("贺", "he", 1),
    ("顾", "gu", 1), ("毛", "mao", 1), ("郝", "hao", 1), ("龚", "gong", 1), ("邵", "shao", 1),
    ("万", "wan", 1), ("钱", "qian", 1), ("严", "yan", 1), ("欧阳", "ouyang", 1), ("司马", "sima", 1),
];

#[rustfmt::skip]
const CN_GIVEN_MALE: &[Part] = &[
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"),
    ("杰", "jie"), ("涛", "tao"), ("斌", "bin"), ("超", "chao"), ("明", "ming"), ("刚", "gang"),
    ("平", "ping"), ("辉", "hui"), ("鹏", "peng"), ("华", "hua"), ("飞", "fei"), ("鑫", "xin"),
    ("波", "bo"), ("宇", "yu"), ("浩", "hao"), ("凯", "kai"), ("健", "jian"), ("俊", "jun"), ("帆", "fan"),
    ("旭", "xu"), ("宁", "ning"), ("龙", "long"), ("峰", "feng"), ("建", "jian"), ("国", "guo"),
    ("志", "zhi"), ("文", "wen"), ("海", "hai"), ("东", "dong"), ("亮", "liang"), ("成", "cheng"),
    ("博", "bo"), ("晨", "chen"), ("阳", "yang"), ("毅", "yi"), ("子", "zi"), ("轩", "xuan"),
    ("睿", "rui"), ("泽", "ze"), ("天", "tian"), ("嘉", "jia"), ("家", "jia"), ("三", "san"),
    ("丰", "feng"), ("振", "zhen"), ("兴", "xing"), ("德", "de"), ("广", "guang"), ("荣", "rong"),
    ("永", "yong"), ("春", "chun"), ("立", "li"), ("新", "xin"), ("庆", "qing"), ("昊", "hao"),
    ("然", "ran"), ("铭", "ming"), ("瑞", "rui"), ("航", "hang"), ("晟", "sheng"), ("哲", "zhe"),
    ("彬", "bin"), ("卫", "wei"), ("光", "guang"), ("元", "yuan"), ("正", "zheng"), ("一", "yi"),
    ("钧", "jun"), ("楠", "nan"), ("思", "si"), ("远", "yuan"), ("诚", "cheng"),
];

#[rustfmt::skip]
const CN_GIVEN_FEMALE: &[Part] = &[
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("艳", "yan"),
    ("娟", "juan"), ("霞", "xia"), ("秀", "xiu"), ("玲", "ling"), ("婷", "ting"), ("雪", "xue"),
    ("琳", "lin"), ("倩", "qian"), ("颖", "ying"), ("慧", "hui"), ("欣", "xin"), ("怡", "yi"),
    ("佳", "jia"), ("梅", "mei"), ("兰", "lan"), ("燕", "yan"), ("红", "hong"), ("萍", "ping"),
    ("晶", "jing"), ("洁", "jie"), ("琴", "qin"), ("雯", "wen"), ("璐", "lu"), ("月", "yue"),
    ("悦", "yue"), ("诗", "shi"), ("涵", "han"), ("梦", "meng"), ("瑶", "yao"), ("蕾", "lei"),
    ("薇", "wei"), ("晓", "xiao"), ("思", "si"), ("雨", "yu"), ("萱", "xuan"), ("桐", "tong"),
    ("若", "ruo"), ("可", "ke"), ("心", "xin"), ("美", "mei"), ("玉", "yu"), ("凤", "feng"), ("淑", "shu"),
    ("莉", "li"), ("婉", "wan"), ("珊", "shan"), ("琪", "qi"), ("菲", "fei"), ("岚", "lan"), ("露", "lu"),
    ("云", "yun"), ("彤", "tong"), ("欢", "huan"), ("馨", "xin"), ("妍", "yan"), ("蓉", "rong"),
    ("青", "qing"), ("丹", "dan"), ("芸", "yun"), ("曼", "man"), ("舒", "shu"), ("宁", "ning"),
    ("嘉", "jia"), ("子", "zi"), ("晴", "qing"), ("春", "chun"),
];

#[rustfmt::skip]
const TW_SURNAMES: &[Surname] = &[
    ("陳", "chen", 112), ("林", "lin", 83), ("黃", "huang", 60), ("張", "chang", 53), ("李", "lee", 51),
    ("王", "wang", 41), ("吳", "wu", 40), ("劉", "liu", 32), ("蔡", "tsai", 29), ("楊", "yang", 26),
    ("許", "hsu", 23), ("鄭", "cheng", 19), ("謝", "hsieh", 18), ("郭", "kuo", 17), ("洪", "hung", 16),
    ("邱", "chiu", 15), ("曾", "tseng", 15), ("廖", "liao", 14), ("賴", "lai", 14), ("徐", "hsu", 13),
    ("周", "chou", 13), ("葉", "yeh", 12), ("蘇", "su", 12), ("莊", "chuang", 11), ("呂", "lu", 11),
    ("江", "chiang", 10), ("何", "ho", 10), ("蕭", "hsiao", 10), ("羅", "lo", 9), ("高", "kao", 9),
    ("潘", "pan", 8), ("簡", "chien", 8), ("朱", "chu", 8), ("鍾", "chung", 8), ("彭", "peng", 7),
    ("游", "yu", 7), ("詹", "chan", 7), ("胡", "hu", 7), ("施", "shih", 6), ("沈", "shen", 6),
    ("余", "yu", 6), ("盧", "lu", 6), ("梁", "liang", 6), ("趙", "chao", 6), ("顏", "yen", 5),
    ("柯", "ko", 5), ("翁", "weng", 5), ("魏", "wei", 5), ("孫", "sun", 5), ("戴", "tai", 5),
];

#[rustfmt::skip]
const TW_GIVEN_MALE: &[Part] = &[
    ("志", "chih"), ("明", "ming"), ("俊", "chun"), ("傑", "chieh"), ("偉", "wei"), ("宏", "hung"),
    ("豪", "hao"), ("建", "chien"), ("家", "chia"), ("文", "wen"), ("國", "kuo"), ("信", "hsin"),
    ("冠", "kuan"), ("宇", "yu"), ("翔", "hsiang"), ("哲", "che"), ("瑋", "wei"), ("承", "cheng"),
    ("彥", "yen"), ("賢", "hsien"), ("隆", "lung"), ("榮", "jung"), ("正", "cheng"), ("仁", "jen"),
    ("德", "te"), ("忠", "chung"), ("勝", "sheng"), ("輝", "hui"), ("鴻", "hung"), ("銘", "ming"),
    ("軒", "hsuan"), ("廷", "ting"), ("祥", "hsiang"), ("昌", "chang"), ("嘉", "chia"), ("崇", "chung"),
    ("柏", "po"), ("凱", "kai"), ("維", "wei"), ("耀", "yao"), ("政", "cheng"), ("聖", "sheng"),
    ("誠", "cheng"), ("安", "an"), ("峰", "feng"), ("達", "ta"), ("龍", "lung"), ("晉", "chin"),
    ("育", "yu"), ("振", "chen"), ("光", "kuang"), ("益", "yi"), ("朝", "chao"), ("義", "yi"),
    ("清", "ching"), ("福", "fu"), ("源", "yuan"), ("富", "fu"), ("坤", "kun"), ("進", "chin"),
    ("欽", "chin"), ("宗", "tsung"), ("泰", "tai"), ("彬", "pin"), ("翰", "han"), ("煒", "wei"),
    ("宸", "chen"), ("睿", "jui"), ("恩", "en"), ("佑", "yu"), ("東", "tung"), ("漢", "han"), ("逸", "yi"),
    ("霖", "lin"),
];

#[rustfmt::skip]
const TW_GIVEN_FEMALE: &[Part] = &[
    ("美", "mei"), ("玲", "ling"), ("淑", "shu"), ("芬", "fen"), ("惠", "hui"), ("雅", "ya"),
    ("婷", "ting"), ("怡", "yi"), ("慧", "hui"), ("佩", "pei"), ("珊", "shan"), ("君", "chun"),
    ("琪", "chi"), ("欣", "hsin"), ("筱", "hsiao"), ("涵", "han"), ("萱", "hsuan"), ("瑜", "yu"),
    ("蓉", "jung"), ("鳳", "feng"), ("秀", "hsiu"), ("麗", "li"), ("華", "hua"), ("娟", "chuan"),
    ("嘉", "chia"), ("詩", "shih"), ("穎", "ying"), ("靜", "ching"), ("宜", "yi"), ("庭", "ting"),
    ("儀", "yi"), ("薇", "wei"), ("瑩", "ying"), ("蘭", "lan"), ("玉", "yu"), ("雯", "wen"),
    ("曉", "hsiao"), ("潔", "chieh"), ("心", "hsin"), ("如", "ju"), ("真", "chen"), ("貞", "chen"),
    ("郁", "yu"), ("妤", "yu"), ("芳", "fang"), ("瑄", "hsuan"), ("倩", "chien"), ("琳", "lin"),
    ("婉", "wan"), ("雪", "hsueh"), ("梅", "mei"), ("燕", "yen"), ("秋", "chiu"), ("春", "chun"),
    ("月", "yueh"), ("瑞", "jui"), ("菁", "ching"), ("蓁", "chen"), ("姿", "tzu"), ("婕", "chieh"),
    ("綺", "chi"), ("舒", "shu"), ("韻", "yun"), ("茹", "ju"), ("晴", "ching"), ("柔", "jou"),
    ("妍", "yen"), ("璇", "hsuan"), ("珮", "pei"), ("紫", "tzu"), ("喬", "chiao"), ("沛", "pei"),
    ("彤", "tung"),
];

#[rustfmt::skip]
const KR_SURNAMES: &[Surname] = &[
    ("김", "kim", 215), ("이", "lee", 147), ("박", "park", 84), ("최", "choi", 47), ("정", "jung", 44),
    ("강", "kang", 23), ("조", "cho", 21), ("윤", "yoon", 21), ("장", "jang", 20), ("임", "lim", 17),
    ("한", "han", 15), ("오", "oh", 15), ("서", "seo", 15), ("신", "shin", 15), ("권", "kwon", 14),
    ("황", "hwang", 14), ("안", "ahn", 14), ("송", "song", 13), ("류", "ryu", 12), ("전", "jeon", 11),
    ("홍", "hong", 11), ("고", "ko", 9), ("문", "moon", 9), ("양", "yang", 9), ("손", "son", 9),
    ("배", "bae", 8), ("백", "baek", 7), ("허", "heo", 6), ("유", "yoo", 6), ("남", "nam", 5),
    ("심", "shim", 5), ("노", "noh", 4), ("하", "ha", 4), ("곽", "kwak", 4), ("성", "sung", 4),
    ("차", "cha", 4), ("주", "joo", 4), ("우", "woo", 4), ("구", "koo", 4), ("민", "min", 3),
    ("진", "jin", 3), ("나", "na", 3), ("지", "ji", 3), ("엄", "eom", 3), ("채", "chae", 3),
    ("원", "won", 3), ("천", "cheon", 2), ("방", "bang", 2), ("공", "kong", 2), ("현", "hyun", 2),
    ("함", "ham", 2), ("변", "byun", 2), ("염", "yeom", 2), ("여", "yeo", 2), ("추", "choo", 1),
    ("도", "do", 2), ("소", "so", 1), ("석", "seok", 1), ("선", "sun", 1), ("설", "seol", 1),
    ("마", "ma", 1), ("길", "gil", 1), ("연", "yeon", 1), ("위", "wi", 1), ("표", "pyo", 1),
    ("명", "myung", 1), ("기", "ki", 1), ("반", "ban", 1), ("왕", "wang", 1), ("금", "keum", 1),
    ("옥", "ok", 1), ("육", "yook", 1), ("인", "in", 1), ("맹", "maeng", 1), ("제", "je", 1),
    ("남궁", "namgung", 1), ("황보", "hwangbo", 1), ("제갈", "jegal", 1), ("선우", "sunwoo", 1),
];

#[rustfmt::skip]
const KR_GIVEN_MALE: &[Part] = &[
    ("민", "min"), ("준", "jun"), ("서", "seo"), ("도", "do"), ("예", "ye"), ("시", "si"), ("우", "woo"),
    ("주", "ju"), ("하", "ha"), ("지", "ji"), ("현", "hyun"), ("건", "geon"), ("진", "jin"),
    ("승", "seung"), ("유", "yu"), ("윤", "yoon"), ("재", "jae"), ("정", "jung"), ("성", "sung"),
    ("영", "young"), ("동", "dong"), ("상", "sang"), ("석", "seok"), ("호", "ho"), ("훈", "hoon"),
    ("혁", "hyuk"), ("철", "chul"), ("태", "tae"), ("경", "kyung"), ("용", "yong"), ("수", "soo"),
    ("원", "won"), ("빈", "bin"), ("찬", "chan"), ("규", "gyu"), ("은", "eun"), ("한", "han"),
    ("율", "yul"), ("환", "hwan"), ("완", "wan"), ("범", "beom"), ("기", "ki"), ("인", "in"),
    ("종", "jong"), ("광", "kwang"), ("명", "myung"), ("병", "byung"), ("창", "chang"), ("택", "taek"),
    ("선", "sun"), ("형", "hyung"), ("세", "se"), ("연", "yeon"), ("대", "dae"), ("희", "hee"),
    ("근", "geun"), ("섭", "seop"), ("일", "il"), ("웅", "woong"), ("강", "kang"), ("겸", "gyeom"),
    ("후", "hoo"), ("결", "gyeol"), ("안", "ahn"), ("온", "on"), ("산", "san"), ("로", "ro"),
    ("률", "ryul"), ("람", "ram"), ("권", "kwon"), ("덕", "deok"), ("만", "man"), ("문", "moon"),
    ("봉", "bong"), ("식", "sik"), ("엽", "yeop"), ("욱", "wook"), ("익", "ik"), ("중", "joong"),
    ("청", "cheong"), ("필", "pil"), ("학", "hak"), ("해", "hae"), ("헌", "heon"), ("효", "hyo"),
    ("휘", "hwi"), ("국", "guk"), ("길", "gil"), ("남", "nam"), ("두", "doo"), ("래", "rae"),
    ("균", "gyun"),
];

#[rustfmt::skip]
const KR_GIVEN_FEMALE: &[Part] = &[
    ("서", "seo"), ("지", "ji"), ("민", "min"), ("수", "soo"), ("하", "ha"), ("윤", "yoon"), ("은", "eun"),
    ("예", "ye"), ("유", "yu"), ("채", "chae"), ("아", "a"), ("연", "yeon"), ("다", "da"), ("소", "so"),
    ("나", "na"), ("현", "hyun"), ("영", "young"), ("미", "mi"), ("희", "hee"), ("정", "jung"),
    ("혜", "hye"), ("경", "kyung"), ("진", "jin"), ("주", "joo"), ("란", "ran"), ("숙", "sook"),
    ("자", "ja"), ("옥", "ok"), ("선", "sun"), ("화", "hwa"), ("린", "rin"), ("인", "in"), ("빈", "bin"),
    ("솔", "sol"), ("별", "byeol"), ("슬", "seul"), ("가", "ga"), ("여", "yeo"), ("원", "won"),
    ("효", "hyo"), ("보", "bo"), ("애", "ae"), ("향", "hyang"), ("순", "soon"), ("세", "se"), ("온", "on"),
    ("율", "yul"), ("명", "myung"), ("성", "sung"), ("설", "seol"), ("초", "cho"), ("리", "ri"),
    ("라", "ra"), ("이", "i"), ("늘", "neul"), ("담", "dam"), ("람", "ram"), ("래", "rae"),
    ("령", "ryung"), ("로", "ro"), ("루", "ru"), ("름", "reum"), ("봄", "bom"), ("비", "bi"),
    ("새", "sae"), ("샘", "saem"), ("송", "song"), ("승", "seung"), ("시", "si"), ("안", "ahn"),
    ("양", "yang"), ("언", "eon"), ("오", "o"), ("우", "woo"), ("운", "woon"), ("월", "wol"), ("임", "im"),
    ("재", "jae"), ("조", "jo"), ("청", "cheong"), ("춘", "choon"), ("태", "tae"), ("한", "han"),
    ("해", "hae"), ("홍", "hong"), ("휘", "hwi"),
];

#[rustfmt::skip]
const EN_GIVEN_MALE: &[&str] = &[
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas",
    "Charles", "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul",
    "Andrew", "Joshua", "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward",
    "Jason", "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry",
    "Justin", "Scott", "Brandon", "Benjamin", "Samuel", "Gregory", "Alexander", "Frank", "Patrick",
    "Raymond", "Jack", "Dennis", "Jerry", "Tyler", "Aaron", "Jose", "Adam", "Nathan", "Henry",
    "Douglas", "Zachary", "Peter", "Kyle", "Noah", "Ethan", "Jeremy", "Walter", "Christian",
    "Keith", "Roger", "Terry", "Austin", "Sean", "Gerald", "Carl", "Harold", "Dylan", "Arthur",
    "Lawrence", "Jordan", "Jesse", "Bryan", "Bruce", "Gabriel", "Logan", "Albert", "Alan", "Eugene",
    "Russell", "Vincent", "Liam", "Oliver", "Lucas", "Owen", "Leo", "Hugo", "Felix", "Oscar",
    "Theo", "Miles",
];

#[rustfmt::skip]
const EN_GIVEN_FEMALE: &[&str] = &[
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah",
    "Karen", "Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly", "Emily", "Donna",
    "Michelle", "Carol", "Amanda", "Dorothy", "Melissa", "Deborah", "Stephanie", "Rebecca",
    "Sharon", "Laura", "Cynthia", "Kathleen", "Amy", "Angela", "Shirley", "Anna", "Brenda",
    "Pamela", "Emma", "Nicole", "Helen", "Samantha", "Katherine", "Christine", "Rachel", "Carolyn",
    "Janet", "Catherine", "Maria", "Heather", "Diane", "Ruth", "Julie", "Olivia", "Joyce",
    "Virginia", "Victoria", "Kelly", "Lauren", "Christina", "Joan", "Evelyn", "Judith", "Megan",
    "Andrea", "Cheryl", "Hannah", "Jacqueline", "Martha", "Gloria", "Teresa", "Ann", "Sara",
    "Madison", "Frances", "Kathryn", "Janice", "Jean", "Abigail", "Alice", "Julia", "Sophia",
    "Grace", "Denise", "Amber", "Marilyn", "Danielle", "Beverly", "Isabella", "Diana", "Natalie",
    "Charlotte", "Marie", "Kayla", "Alexis", "Chloe", "Ava", "Mia", "Zoe", "Lily", "Ella", "Ruby",
];

#[rustfmt::skip]
const EN_SURNAMES: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark",
    "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres",
    "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell",
    "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker",
    "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy", "Cook",
    "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly",
    "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez", "Wood",
    "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez", "Castillo",
    "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez", "Powell", "Jenkins", "Perry",
    "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes", "Fisher", "Vasquez",
    "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton", "Graham", "Reynolds",
    "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera", "Gibson", "Ellis",
    "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens",
    "Harrison", "Fernandez", "McDonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas",
    "Henry", "Chen", "Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson",
    "Porter", "Hunter", "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz",
    "Hunt", "Hicks", "Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone",
    "Salazar", "Fox", "Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson",
    "Nichols", "Stephens", "Soto", "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn",
    "Kowalski", "Novak", "Lindqvist", "Okafor", "Haddad", "Armstrong", "Berry", "Bishop", "Blake",
    "Bradley", "Burke", "Carpenter", "Chambers", "Chapman", "Cunningham", "Dawson", "Dean",
    "Douglas", "Elliott", "Fleming", "Fletcher", "Franklin", "Fuller", "Gilbert", "Hansen", "Hart",
    "Harvey", "Hawkins", "Holland", "Hopkins", "Howell", "Hudson", "Jacobs", "Keller", "Knight",
    "Lambert", "Lane", "Larson", "Lawrence", "Lowe", "Lynch", "Matthews", "Montgomery", "Morrison",
    "Newman", "Norris", "Oliver", "Parks", "Pearson", "Perkins", "Pierce", "Quinn", "Reid", "Riley",
    "Schneider", "Sharp", "Spencer", "Steele", "Sutton", "Thornton", "Vaughn", "Walsh", "Watts",
    "Wheeler", "Whitaker", "Yates", "Zimmerman", "Abbott", "Barker", "Becker", "Brennan", "Doyle",
    "Fitzgerald", "Hale", "Ingram",
];

/// A generated person's display name and the ASCII stem its e-mail address is made from.
#[derive(Debug, Clone)]
pub struct PersonName {
    pub name: String,
    /// e.g. "sanfeng.zhang", "minjun.kim", "emily.johnson"
    pub email_local: String,
}

/// Generates a person's name in `script`; given names follow `gender` where the language marks
/// it.
pub fn person_name<R: Rng + ?Sized>(rng: &mut R, script: Script, gender: Gender) -> PersonName {
    let female = gender == Gender::Female || (gender == Gender::Other && chance(rng, 0.5));
    match script {
        Script::English => {
            let first = *pick(
                rng,
                if female {
                    EN_GIVEN_FEMALE
                } else {
                    EN_GIVEN_MALE
                },
            );
            let last = *pick(rng, EN_SURNAMES);
            let mut name = String::with_capacity(24);
            name.push_str(first);
            name.push(' ');
            // A middle initial on some records, as American forms often carry one.
            let middle = if chance(rng, 0.5) {
                Some((b'A' + below(rng, 26) as u8) as char)
            } else {
                None
            };
            if let Some(m) = middle {
                name.push(m);
                name.push_str(". ");
            }
            name.push_str(last);
            let mut local = String::with_capacity(24);
            match below(rng, 3) {
                0 => {
                    local.push_str(first);
                    local.push('.');
                    local.push_str(last);
                }
                1 => {
                    local.push_str(&first[..1]);
                    if let Some(m) = middle {
                        local.push(m);
                    }
                    local.push_str(last);
                }
                _ => {
                    local.push_str(first);
                    local.push('_');
                    local.push_str(last);
                }
            }
            local.make_ascii_lowercase();
            PersonName {
                name,
                email_local: local,
            }
        }
        Script::Simplified | Script::Traditional | Script::Korean => {
            let (surnames, given): (&[Surname], &[Part]) = match (script, female) {
                (Script::Simplified, false) => (CN_SURNAMES, CN_GIVEN_MALE),
                (Script::Simplified, true) => (CN_SURNAMES, CN_GIVEN_FEMALE),
                (Script::Traditional, false) => (TW_SURNAMES, TW_GIVEN_MALE),
                (Script::Traditional, true) => (TW_SURNAMES, TW_GIVEN_FEMALE),
                (_, false) => (KR_SURNAMES, KR_GIVEN_MALE),
                (_, true) => (KR_SURNAMES, KR_GIVEN_FEMALE),
            };
            let (sur, sur_roman) = pick_surname(rng, surnames);
            // Chinese given names are one or two characters; Korean ones almost always two.
            let two = match script {
                Script::Korean => chance(rng, 0.97),
                _ => chance(rng, 0.9),
            };
            let g1 = pick(rng, given);
            let g2 = if two {
                let mut g = pick(rng, given);
                if g.0 == g1.0 {
                    g = pick(rng, given);
                }
                Some(g)
            } else {
                None
            };
            let mut name = String::with_capacity(12);
            name.push_str(sur);
            name.push_str(g1.0);
            let mut given_roman = String::with_capacity(12);
            given_roman.push_str(g1.1);
            if let Some(g2) = g2 {
                name.push_str(g2.0);
                given_roman.push_str(g2.1);
            }
            let mut local = String::with_capacity(24);
            match below(rng, 4) {
                0 => {
                    local.push_str(&given_roman);
                    local.push('.');
                    local.push_str(sur_roman);
                }
                1 => {
                    local.push_str(sur_roman);
                    local.push('.');
                    local.push_str(&given_roman);
                }
                2 => {
                    // initials style: "zsf", "kimmj"
                    local.push_str(sur_roman);
                    local.push_str(&g1.1[..1]);
                    if let Some(g2) = g2 {
                        local.push_str(&g2.1[..1]);
                    }
                }
                _ => {
                    local.push_str(sur_roman);
                    local.push_str(&given_roman);
                }
            }
            PersonName {
                name,
                email_local: local,
            }
        }
    }
}

fn pick_surname<R: Rng + ?Sized>(rng: &mut R, list: &[Surname]) -> (&'static str, &'static str) {
    let total: u32 = list.iter().map(|s| s.2).sum();
    let mut x = rng.gen_range(0..total);
    for &(s, r, w) in list {
        if x < w {
            return (s, r);
        }
        x -= w;
    }
    (list[0].0, list[0].1)
}

// ---------------------------------------------------------------------------------------------
// Places: regions with districts, streets and telephone area codes
// ---------------------------------------------------------------------------------------------

/// A city or province with its districts, the roman slug used in e-mail domains, and its
/// telephone area code.
#[derive(Debug)]
pub struct Region {
    pub name: &'static str,
    pub short: &'static str,
    pub roman: &'static str,
    pub districts: &'static [&'static str],
    pub area_code: &'static str,
    /// Digits of a local number (7 or 8).
    pub local_digits: u32,
}

#[rustfmt::skip]
const CN_REGIONS: &[Region] = &[
    Region { name: "上海市", short: "上海", roman: "sh", districts: &["浦东新区", "徐汇区", "静安区", "黄浦区", "长宁区", "闵行区"], area_code: "021", local_digits: 8 },
    Region { name: "北京市", short: "北京", roman: "bj", districts: &["朝阳区", "海淀区", "东城区", "西城区", "丰台区"], area_code: "010", local_digits: 8 },
    Region { name: "广东省广州市", short: "广州", roman: "gz", districts: &["天河区", "越秀区", "海珠区", "番禺区"], area_code: "020", local_digits: 8 },
    Region { name: "广东省深圳市", short: "深圳", roman: "sz", districts: &["南山区", "福田区", "罗湖区", "宝安区"], area_code: "0755", local_digits: 8 },
    Region { name: "浙江省杭州市", short: "杭州", roman: "hz", districts: &["西湖区", "上城区", "滨江区", "拱墅区"], area_code: "0571", local_digits: 8 },
    Region { name: "四川省成都市", short: "成都", roman: "cd", districts: &["锦江区", "武侯区", "青羊区", "成华区"], area_code: "028", local_digits: 8 },
    Region { name: "江苏省南京市", short: "南京", roman: "nj", districts: &["鼓楼区", "玄武区", "秦淮区", "建邺区"], area_code: "025", local_digits: 8 },
    Region { name: "湖北省武汉市", short: "武汉", roman: "wh", districts: &["江汉区", "武昌区", "洪山区", "江岸区"], area_code: "027", local_digits: 8 },
    Region { name: "陕西省西安市", short: "西安", roman: "xa", districts: &["雁塔区", "碑林区", "莲湖区"], area_code: "029", local_digits: 8 },
    Region { name: "江苏省苏州市", short: "苏州", roman: "suz", districts: &["姑苏区", "工业园区", "吴中区"], area_code: "0512", local_digits: 8 },
    Region { name: "天津市", short: "天津", roman: "tj", districts: &["和平区", "河西区", "南开区"], area_code: "022", local_digits: 8 },
    Region { name: "重庆市", short: "重庆", roman: "cq", districts: &["渝中区", "江北区", "南岸区"], area_code: "023", local_digits: 8 },
    Region { name: "山东省青岛市", short: "青岛", roman: "qd", districts: &["市南区", "市北区", "崂山区"], area_code: "0532", local_digits: 8 },
    Region { name: "福建省厦门市", short: "厦门", roman: "xm", districts: &["思明区", "湖里区"], area_code: "0592", local_digits: 7 },
    Region { name: "湖南省长沙市", short: "长沙", roman: "cs", districts: &["岳麓区", "芙蓉区", "天心区"], area_code: "0731", local_digits: 8 },
];

#[rustfmt::skip]
const CN_ROADS: &[&str] = &[
    "人民", "中山", "解放", "建设", "和平", "南京", "长江", "黄河", "延安", "淮海", "东风", "胜利", "文化", "新华", "学院", "科技",
    "金融", "世纪", "朝阳", "青年", "花园", "滨江", "工业", "凤凰", "银河", "光明", "幸福", "复兴", "振兴", "湖滨",
];
#[rustfmt::skip]
const CN_ROAD_KINDS: &[&str] = &[
    "路", "路", "路", "大道", "街", "东路", "西路", "南路", "北路",
];

#[rustfmt::skip]
const TW_REGIONS: &[Region] = &[
    Region { name: "台北市", short: "台北", roman: "tpe", districts: &["大安區", "信義區", "中山區", "松山區", "內湖區", "士林區"], area_code: "02", local_digits: 8 },
    Region { name: "新北市", short: "新北", roman: "ntpc", districts: &["板橋區", "新莊區", "中和區", "永和區"], area_code: "02", local_digits: 8 },
    Region { name: "台中市", short: "台中", roman: "txg", districts: &["西屯區", "北屯區", "南屯區", "西區"], area_code: "04", local_digits: 8 },
    Region { name: "高雄市", short: "高雄", roman: "khh", districts: &["苓雅區", "前鎮區", "左營區", "鼓山區"], area_code: "07", local_digits: 7 },
    Region { name: "台南市", short: "台南", roman: "tnn", districts: &["東區", "中西區", "安平區"], area_code: "06", local_digits: 7 },
    Region { name: "桃園市", short: "桃園", roman: "tyn", districts: &["桃園區", "中壢區"], area_code: "03", local_digits: 7 },
    Region { name: "新竹市", short: "新竹", roman: "hsz", districts: &["東區", "北區"], area_code: "03", local_digits: 7 },
];

#[rustfmt::skip]
const TW_ROADS: &[&str] = &[
    "忠孝東路", "仁愛路", "信義路", "敦化南路", "復興北路", "民生東路", "南京東路", "中山北路", "中正路", "民族路", "文化路", "建國路",
    "和平東路", "光復路", "博愛路", "自由路", "公益路", "成功路", "中華路", "民權路",
];
const TW_SECTIONS: &[&str] = &["一段", "二段", "三段", "四段", "五段"];

#[rustfmt::skip]
const KR_REGIONS: &[Region] = &[
    Region { name: "서울특별시", short: "서울", roman: "seoul", districts: &["강남구", "서초구", "송파구", "마포구", "종로구", "중구", "영등포구", "용산구",], area_code: "02", local_digits: 8 },
    Region { name: "부산광역시", short: "부산", roman: "busan", districts: &["해운대구", "수영구", "부산진구", "동래구"], area_code: "051", local_digits: 7 },
    Region { name: "인천광역시", short: "인천", roman: "incheon", districts: &["남동구", "연수구", "부평구"], area_code: "032", local_digits: 7 },
    Region { name: "대구광역시", short: "대구", roman: "daegu", districts: &["수성구", "중구", "달서구"], area_code: "053", local_digits: 7 },
    Region { name: "대전광역시", short: "대전", roman: "daejeon", districts: &["유성구", "서구"], area_code: "042", local_digits: 7 },
    Region { name: "광주광역시", short: "광주", roman: "gwangju", districts: &["서구", "북구", "광산구"], area_code: "062", local_digits: 7 },
    Region { name: "경기도 성남시", short: "성남", roman: "seongnam", districts: &["분당구", "수정구"], area_code: "031", local_digits: 7 },
    Region { name: "경기도 수원시", short: "수원", roman: "suwon", districts: &["영통구", "팔달구", "장안구"], area_code: "031", local_digits: 7 },
    Region { name: "제주특별자치도 제주시", short: "제주", roman: "jeju", districts: &[""], area_code: "064", local_digits: 7 },
];

#[rustfmt::skip]
const KR_ROADS: &[&str] = &[
    "테헤란로", "강남대로", "논현로", "도산대로", "올림픽로", "세종대로", "을지로", "퇴계로", "양화로", "해운대로", "중앙대로", "판교로",
    "월드컵로", "한강대로", "봉은사로", "동대구로", "광복로", "경수대로", "문화로", "번영로",
];

#[rustfmt::skip]
const US_REGIONS: &[Region] = &[
    Region { name: "Portland, OR", short: "Portland", roman: "pdx", districts: &["972"], area_code: "503", local_digits: 7 },
    Region { name: "Seattle, WA", short: "Seattle", roman: "sea", districts: &["981"], area_code: "206", local_digits: 7 },
    Region { name: "Austin, TX", short: "Austin", roman: "atx", districts: &["787"], area_code: "512", local_digits: 7 },
    Region { name: "Denver, CO", short: "Denver", roman: "den", districts: &["802"], area_code: "303", local_digits: 7 },
    Region { name: "Boston, MA", short: "Boston", roman: "bos", districts: &["021"], area_code: "617", local_digits: 7 },
    Region { name: "Chicago, IL", short: "Chicago", roman: "chi", districts: &["606"], area_code: "312", local_digits: 7 },
    Region { name: "San Francisco, CA", short: "San Francisco", roman: "sf", districts: &["941"], area_code: "415", local_digits: 7 },
    Region { name: "Brooklyn, NY", short: "Brooklyn", roman: "bk", districts: &["112"], area_code: "718", local_digits: 7 },
    Region { name: "Atlanta, GA", short: "Atlanta", roman: "atl", districts: &["303"], area_code: "404", local_digits: 7 },
    Region { name: "Minneapolis, MN", short: "Minneapolis", roman: "msp", districts: &["554"], area_code: "612", local_digits: 7 },
];

#[rustfmt::skip]
const US_STREETS: &[&str] = &[
    "Maple", "Oak", "Pine", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Main", "Church",
    "High", "Union", "Market", "Water", "Spring", "River", "Sunset", "Ridge", "Highland", "Mill",
    "Lincoln", "Franklin", "Jefferson", "Madison", "Chestnut", "Walnut", "Willow", "Meadow",
    "Forest",
];
#[rustfmt::skip]
const US_STREET_KINDS: &[&str] = &[
    "Street", "Avenue", "Road", "Boulevard", "Lane", "Drive", "Court", "Way",
];

/// Picks a region of the script's country.
pub fn region<R: Rng + ?Sized>(rng: &mut R, script: Script) -> &'static Region {
    match script {
        Script::English => pick(rng, US_REGIONS),
        Script::Simplified => pick(rng, CN_REGIONS),
        Script::Traditional => pick(rng, TW_REGIONS),
        Script::Korean => pick(rng, KR_REGIONS),
    }
}

/// A postal address in the local order and style of the script's country.
pub fn address<R: Rng + ?Sized>(rng: &mut R, script: Script, region: &Region) -> String {
    let mut s = String::with_capacity(48);
    let district = *pick(rng, region.districts);
    // `write!` into a String cannot fail; the results are ignored for that reason.
    match script {
        Script::English => {
            let _ = write!(
                s,
                "{} {} {}",
                between(rng, 1, 9899),
                pick(rng, US_STREETS),
                pick(rng, US_STREET_KINDS)
            );
            if chance(rng, 0.2) {
                let _ = write!(s, ", Suite {}", between(rng, 100, 899));
            }
            let _ = write!(
                s,
                ", {} {}{:02}",
                region.name,
                district,
                between(rng, 1, 99)
            );
        }
        Script::Simplified => {
            let _ = write!(
                s,
                "{}{}{}{}{}号",
                region.name,
                district,
                pick(rng, CN_ROADS),
                pick(rng, CN_ROAD_KINDS),
                between(rng, 1, 1999)
            );
            if chance(rng, 0.5) {
                let _ = write!(s, "{}栋{}室", between(rng, 1, 30), between(rng, 101, 2808));
            }
        }
        Script::Traditional => {
            let _ = write!(s, "{}{}{}", region.name, district, pick(rng, TW_ROADS));
            if chance(rng, 0.5) {
                s.push_str(pick::<&str, _>(rng, TW_SECTIONS));
            }
            let _ = write!(s, "{}號", between(rng, 1, 399));
            if chance(rng, 0.6) {
                let _ = write!(s, "{}樓", between(rng, 1, 22));
            }
        }
        Script::Korean => {
            s.push_str(region.name);
            if !district.is_empty() {
                s.push(' ');
                s.push_str(district);
            }
            let _ = write!(s, " {} {}", pick(rng, KR_ROADS), between(rng, 1, 999));
            if chance(rng, 0.4) {
                let _ = write!(s, ", {}층", between(rng, 1, 25));
            }
        }
    }
    s
}

fn push_digits<R: Rng + ?Sized>(rng: &mut R, s: &mut String, n: u32) {
    for _ in 0..n {
        s.push((b'0' + below(rng, 10) as u8) as char);
    }
}

/// A mobile number written the way people of that country write it.
pub fn mobile<R: Rng + ?Sized>(rng: &mut R, script: Script, region: &Region) -> String {
    let mut s = String::with_capacity(20);
    match script {
        Script::English => {
            let _ = write!(s, "({}) {}", region.area_code, between(rng, 2, 9));
            push_digits(rng, &mut s, 2);
            s.push('-');
            push_digits(rng, &mut s, 4);
        }
        Script::Simplified => {
            #[rustfmt::skip]
            const PREFIXES: &[&str] = &[
                "130", "131", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                "158", "159", "177", "180", "186", "187", "188", "189",
            ];
            let p = *pick(rng, PREFIXES);
            match below(rng, 3) {
                0 => {
                    let _ = write!(s, "+86 {p}-");
                    push_digits(rng, &mut s, 4);
                    s.push('-');
                    push_digits(rng, &mut s, 4);
                }
                1 => {
                    let _ = write!(s, "{p} ");
                    push_digits(rng, &mut s, 4);
                    s.push(' ');
                    push_digits(rng, &mut s, 4);
                }
                _ => {
                    s.push_str(p);
                    push_digits(rng, &mut s, 8);
                }
            }
        }
        Script::Traditional => {
            let _ = write!(s, "09{}", between(rng, 10, 89));
            s.push('-');
            push_digits(rng, &mut s, 3);
            s.push('-');
            push_digits(rng, &mut s, 3);
        }
        Script::Korean => {
            s.push_str(if chance(rng, 0.15) { "+82 10-" } else { "010-" });
            let _ = write!(s, "{}", between(rng, 2, 9));
            push_digits(rng, &mut s, 3);
            s.push('-');
            push_digits(rng, &mut s, 4);
        }
    }
    s
}

/// A landline (shop or office) number with the region's area code.
pub fn landline<R: Rng + ?Sized>(rng: &mut R, script: Script, region: &Region) -> String {
    let mut s = String::with_capacity(20);
    let first = between(rng, 2, 8);
    let rest = region.local_digits - 1;
    let split = if region.local_digits == 8 { 3 } else { 2 };
    match script {
        Script::English => {
            let _ = write!(s, "+1 {}-{first}", region.area_code);
            push_digits(rng, &mut s, 2);
            s.push('-');
            push_digits(rng, &mut s, 4);
        }
        Script::Simplified => {
            let _ = write!(s, "{}-{first}", region.area_code);
            push_digits(rng, &mut s, split);
            s.push(' ');
            push_digits(rng, &mut s, rest - split);
        }
        Script::Traditional => {
            let _ = write!(s, "({}) {first}", region.area_code);
            push_digits(rng, &mut s, split);
            s.push('-');
            push_digits(rng, &mut s, rest - split);
        }
        Script::Korean => {
            if chance(rng, 0.5) {
                let _ = write!(s, "({}) {first}", region.area_code);
            } else {
                let _ = write!(s, "{}-{first}", region.area_code);
            }
            push_digits(rng, &mut s, split);
            s.push('-');
            push_digits(rng, &mut s, rest - split);
        }
    }
    s
}

/// A person's private e-mail address on a webmail-like domain of their country.
#[rustfmt::skip]
pub fn person_email<R: Rng + ?Sized>(
    rng: &mut R,
    script: Script,
    local: &str,
    birth_year: Option<i32>,
) -> String {
    let domains: &[&str] = match script {
        Script::English => &[
            "gmail.example", "outlook.example", "icloud.example", "mail.example",
        ],
        Script::Simplified => &["163.example", "126.example", "sina.example", "qq.example"],
        Script::Traditional => &["gmail.example", "yahoo-tw.example", "hinet.example"],
        Script::Korean => &[
            "naver.example", "daum.example", "kakao.example", "gmail.example",
        ],
    };
    let domain = *pick(rng, domains);
    let mut s = String::with_capacity(40);
    if domain == "qq.example" {
        // QQ mail addresses are the account number.
        let _ = write!(s, "{}", between(rng, 1, 9));
        let n = between(rng, 6, 9);
        push_digits(rng, &mut s, n);
    } else {
        s.push_str(local);
        match (birth_year, below(rng, 3)) {
            (Some(y), 0) => {
                let _ = write!(s, "{:02}", y.rem_euclid(100));
            }
            (_, 1) => {
                let _ = write!(s, "{}", between(rng, 1, 999));
            }
            _ => {}
        }
    }
    s.push('@');
    s.push_str(domain);
    s
}

/// The region whose slug ends an organisation's domain (`…-sh.example`), for the showcase
/// customers whose names mention their city.
pub fn region_for_domain(script: Script, domain: &str) -> Option<&'static Region> {
    let slug = domain.strip_suffix(".example")?.rsplit('-').next()?;
    let list = match script {
        Script::English => US_REGIONS,
        Script::Simplified => CN_REGIONS,
        Script::Traditional => TW_REGIONS,
        Script::Korean => KR_REGIONS,
    };
    list.iter().find(|r| r.roman == slug)
}

/// What a lost customer said in the last call.
#[rustfmt::skip]
pub fn lost_outcomes(script: Script) -> &'static [&'static str] {
    match script {
        Script::English => &[
            "Switched to another supplier", "Closed the shop", "Unhappy with delivery times",
            "Moved out of town", "Found cheaper beans elsewhere",
        ],
        Script::Simplified => &[
            "已改用其他供应商", "店铺已关闭", "对送货时间不满", "已搬迁", "找到更便宜的货源",
        ],
        Script::Traditional => &[
            "已改用其他供應商", "店面已結束營業", "不滿意送貨時間", "已搬遷", "找到更便宜的貨源",
        ],
        Script::Korean => &[
            "다른 거래처로 변경", "매장 폐업", "배송 시간 불만", "이전함", "더 저렴한 곳을 찾음",
        ],
    }
}

// ---------------------------------------------------------------------------------------------
// Organisations
// ---------------------------------------------------------------------------------------------

#[rustfmt::skip]
const CN_BRAND: &[Part] = &[
    ("锦", "jin"), ("华", "hua"), ("鑫", "xin"), ("盛", "sheng"), ("隆", "long"), ("泰", "tai"),
    ("福", "fu"), ("瑞", "rui"), ("祥", "xiang"), ("宏", "hong"), ("远", "yuan"), ("达", "da"),
    ("丰", "feng"), ("源", "yuan"), ("德", "de"), ("兴", "xing"), ("恒", "heng"), ("通", "tong"),
    ("富", "fu"), ("安", "an"), ("和", "he"), ("美", "mei"), ("佳", "jia"), ("乐", "le"), ("顺", "shun"),
    ("新", "xin"), ("金", "jin"), ("星", "xing"), ("月", "yue"), ("云", "yun"), ("海", "hai"),
    ("江", "jiang"), ("山", "shan"), ("龙", "long"), ("凤", "feng"), ("天", "tian"), ("嘉", "jia"),
    ("康", "kang"), ("豪", "hao"), ("鸿", "hong"), ("博", "bo"), ("创", "chuang"), ("众", "zhong"),
    ("诚", "cheng"), ("信", "xin"), ("品", "pin"), ("味", "wei"), ("香", "xiang"), ("茗", "ming"),
    ("雅", "ya"), ("尚", "shang"), ("优", "you"), ("悦", "yue"), ("禾", "he"), ("森", "sen"),
    ("林", "lin"), ("春", "chun"), ("晨", "chen"), ("明", "ming"), ("万", "wan"),
];
#[rustfmt::skip]
const CN_INDUSTRY: &[Part] = &[
    ("咖啡", "coffee"), ("茶业", "tea"), ("餐饮", "food"), ("贸易", "trading"), ("食品", "foods"),
    ("商贸", "trade"), ("酒店", "hotel"), ("烘焙", "bakery"), ("文化", "culture"), ("科技", "tech"),
];

#[rustfmt::skip]
const TW_BRAND: &[Part] = &[
    ("錦", "chin"), ("華", "hua"), ("鑫", "hsin"), ("盛", "sheng"), ("隆", "lung"), ("泰", "tai"),
    ("福", "fu"), ("瑞", "jui"), ("祥", "hsiang"), ("宏", "hung"), ("遠", "yuan"), ("達", "ta"),
    ("豐", "feng"), ("源", "yuan"), ("德", "te"), ("興", "hsing"), ("恆", "heng"), ("通", "tung"),
    ("富", "fu"), ("安", "an"), ("和", "ho"), ("美", "mei"), ("佳", "chia"), ("樂", "le"), ("順", "shun"),
    ("新", "hsin"), ("金", "chin"), ("星", "hsing"), ("雲", "yun"), ("海", "hai"), ("龍", "lung"),
    ("鳳", "feng"), ("天", "tien"), ("嘉", "chia"), ("康", "kang"), ("鴻", "hung"), ("誠", "cheng"),
    ("信", "hsin"), ("品", "pin"), ("味", "wei"), ("香", "hsiang"), ("茗", "ming"), ("雅", "ya"),
    ("尚", "shang"), ("悅", "yueh"), ("禾", "ho"), ("森", "sen"), ("鼎", "ting"),
];
#[rustfmt::skip]
const TW_INDUSTRY: &[Part] = &[
    ("咖啡", "coffee"), ("茶行", "tea"), ("餐飲", "food"), ("貿易", "trading"), ("食品", "foods"),
    ("烘焙坊", "bakery"), ("企業", "corp"),
];

#[rustfmt::skip]
const KR_BRAND: &[Part] = &[
    ("한빛", "hanbit"), ("새롬", "saerom"), ("푸른", "pureun"), ("다온", "daon"), ("가온", "gaon"),
    ("누리", "nuri"), ("아름", "areum"), ("하늘", "haneul"), ("바다", "bada"), ("별빛", "byeolbit"),
    ("해솔", "haesol"), ("미소", "miso"), ("온누리", "onnuri"), ("다솜", "dasom"), ("초록", "chorok"),
    ("행복", "haengbok"), ("대한", "daehan"), ("동서", "dongseo"), ("세종", "sejong"), ("우리", "uri"),
    ("은하", "eunha"), ("참", "cham"), ("늘봄", "neulbom"), ("라온", "raon"), ("마루", "maru"),
    ("빛나", "bitna"), ("소담", "sodam"), ("예담", "yedam"), ("이룸", "irum"), ("한결", "hangyeol"),
    ("단비", "danbi"), ("그린", "green"), ("블루", "blue"), ("골든", "golden"), ("모닝", "morning"),
    ("선샤인", "sunshine"), ("한라", "halla"), ("백두", "baekdu"), ("태양", "taeyang"), ("산들", "sandeul"),
];
#[rustfmt::skip]
const KR_BRAND_SUFFIX: &[Part] = &[
    ("나무", "namu"), ("숲", "sup"), ("빛", "bit"), ("터", "teo"), ("담", "dam"), ("향", "hyang"),
    ("길", "gil"), ("뜰", "tteul"), ("마을", "maeul"), ("하우스", "house"), ("앤코", "nco"),
];
#[rustfmt::skip]
const KR_INDUSTRY: &[Part] = &[
    ("커피", "coffee"), ("로스터스", "roasters"), ("카페", "cafe"), ("베이커리", "bakery"), ("푸드", "food"),
    ("유통", "dist"), ("무역", "trading"), ("상사", "sangsa"),
];

#[rustfmt::skip]
const EN_ADJ: &[&str] = &[
    "Blue", "Golden", "Silver", "Red", "Green", "Northern", "Southern", "Eastern", "Western",
    "Royal", "Urban", "Little", "Grand", "Old", "New", "Happy", "Lucky", "Bright", "Maple", "Cedar",
    "Oak", "Pine", "River", "Lake", "Harbor", "Bay", "Sunny", "Misty", "Stone", "Iron", "Copper",
    "Velvet", "Crimson", "Amber", "Ivory", "Jade", "Coral", "Summit", "Valley", "Meadow",
];
#[rustfmt::skip]
const EN_NOUN: &[&str] = &[
    "Bean", "Cup", "Leaf", "Kettle", "Mill", "Roast", "Table", "Corner", "Street", "Garden",
    "Market", "Bridge", "Tower", "Star", "Moon", "Sun", "Fox", "Owl", "Bear", "Crow", "Hen", "Lamb",
    "Lantern", "Anchor", "Compass", "Barrel", "Basket", "Bell", "Candle", "Door", "Gate", "Hill",
    "Island", "Port", "Road", "Square", "Workshop", "Yard", "Field", "Spoon",
];
#[rustfmt::skip]
const EN_INDUSTRY: &[&str] = &[
    "Coffee", "Café", "Bakery", "Roasters", "Trading", "Foods", "Kitchen", "Hospitality",
    "Supplies", "Distribution",
];

/// A generated organisation's name, e-mail domain and kind.
#[derive(Debug, Clone)]
pub struct OrgName {
    pub name: String,
    /// Domain for the organisation's addresses, e.g. `jinhua-coffee-sh.example`.
    pub domain: String,
    pub kind: OrgKind,
}

fn two_parts<R: Rng + ?Sized>(rng: &mut R, parts: &[Part], name: &mut String, roman: &mut String) {
    let a = pick(rng, parts);
    let mut b = pick(rng, parts);
    if a.0 == b.0 {
        b = pick(rng, parts);
    }
    name.push_str(a.0);
    name.push_str(b.0);
    roman.push_str(a.1);
    roman.push_str(b.1);
}

/// Generates an organisation: shops, dealers (대리점/经销部), franchisees (가맹점/加盟店) and
/// companies (公司/주식회사), in the script's language and naming customs.
#[rustfmt::skip]
pub fn org_name<R: Rng + ?Sized>(rng: &mut R, script: Script, region: &Region) -> OrgName {
    let kind = *weighted_pick(
        rng,
        &[
            (OrgKind::Shop, 40), (OrgKind::Dealer, 20), (OrgKind::Franchisee, 20),
            (OrgKind::Company, 20),
        ],
    );
    let mut name = String::with_capacity(40);
    let mut roman = String::with_capacity(24);
    match script {
        Script::English => {
            let ind = *pick(rng, EN_INDUSTRY);
            // Founder-named businesses ("Miller's Bakery", "Reed & Patel Trading") alongside
            // invented ones ("Blue Harbor Coffee").
            let mut stem = String::with_capacity(24);
            if chance(rng, 0.4) {
                let a = *pick(rng, EN_SURNAMES);
                roman.push_str(a);
                stem.push_str(a);
                if chance(rng, 0.4) {
                    let b = *pick(rng, EN_SURNAMES);
                    roman.push_str(b);
                    stem.push_str(" & ");
                    stem.push_str(b);
                } else {
                    stem.push_str("'s");
                }
            } else {
                let adj = *pick(rng, EN_ADJ);
                let noun = *pick(rng, EN_NOUN);
                roman.push_str(adj);
                roman.push_str(noun);
                stem.push_str(adj);
                stem.push(' ');
                stem.push_str(noun);
            }
            roman.make_ascii_lowercase();
            let _ = match kind {
                OrgKind::Shop => write!(name, "{stem} {ind}"),
                OrgKind::Dealer => write!(name, "{stem} {ind} Distributors"),
                OrgKind::Franchisee => write!(name, "{stem} {ind} – {}", region.short),
                OrgKind::Company => write!(
                    name,
                    "{stem} {ind} {}",
                    pick(rng, &["Co.", "Ltd", "LLC", "Inc.", "Group", "& Sons"])
                ),
            };
        }
        Script::Simplified => {
            let mut brand = String::with_capacity(8);
            two_parts(rng, CN_BRAND, &mut brand, &mut roman);
            let ind = pick(rng, CN_INDUSTRY);
            roman.push('-');
            roman.push_str(ind.1);
            let _ = match kind {
                OrgKind::Shop => write!(
                    name,
                    "{brand}{}{}",
                    ind.0,
                    pick(rng, &["店", "馆", "工作室", "商行"])
                ),
                OrgKind::Dealer => write!(name, "{}{brand}{}经销部", region.short, ind.0),
                OrgKind::Franchisee => write!(
                    name,
                    "{brand}{}（{}{}店）",
                    ind.0,
                    region.short,
                    pick(rng, region.districts).trim_end_matches('区')
                ),
                OrgKind::Company => write!(name, "{}{brand}{}有限公司", region.short, ind.0),
            };
        }
        Script::Traditional => {
            let mut brand = String::with_capacity(8);
            two_parts(rng, TW_BRAND, &mut brand, &mut roman);
            let ind = pick(rng, TW_INDUSTRY);
            roman.push('-');
            roman.push_str(ind.1);
            let _ = match kind {
                OrgKind::Shop => write!(
                    name,
                    "{brand}{}{}",
                    ind.0,
                    pick(rng, &["館", "商行", "企業社", "坊"])
                ),
                OrgKind::Dealer => write!(name, "{}{brand}{}經銷商", region.short, ind.0),
                OrgKind::Franchisee => write!(
                    name,
                    "{brand}{} {}{}店",
                    ind.0,
                    region.short,
                    pick(rng, region.districts).trim_end_matches('區')
                ),
                OrgKind::Company => write!(
                    name,
                    "{}{brand}{}{}",
                    region.short,
                    ind.0,
                    pick(rng, &["有限公司", "股份有限公司"])
                ),
            };
        }
        Script::Korean => {
            // Brands are either stock words ("한빛", "누리") or two soft name syllables
            // ("서하", "윤슬"), as many Korean shops are named.
            let mut brand = String::with_capacity(12);
            if chance(rng, 0.5) {
                let b = pick(rng, KR_BRAND);
                brand.push_str(b.0);
                roman.push_str(b.1);
                if chance(rng, 0.4) {
                    let w = pick(rng, KR_BRAND_SUFFIX);
                    brand.push_str(w.0);
                    roman.push_str(w.1);
                }
            } else {
                two_parts(rng, KR_GIVEN_FEMALE, &mut brand, &mut roman);
            }
            let ind = pick(rng, KR_INDUSTRY);
            roman.push('-');
            roman.push_str(ind.1);
            let district = pick(rng, region.districts).trim_end_matches('구');
            let place = if district.is_empty() {
                region.short
            } else {
                district
            };
            let _ = match kind {
                OrgKind::Shop => {
                    if chance(rng, 0.3) {
                        write!(name, "{} {brand}", ind.0)
                    } else {
                        write!(name, "{brand}{}", ind.0)
                    }
                }
                OrgKind::Dealer => write!(name, "{brand}{} {place}대리점", ind.0),
                OrgKind::Franchisee => write!(name, "{brand}{} {place}점", ind.0),
                OrgKind::Company => {
                    if chance(rng, 0.5) {
                        write!(name, "(주){brand}{}", ind.0)
                    } else {
                        write!(name, "주식회사 {brand}{}", ind.0)
                    }
                }
            };
        }
    }
    let mut domain = roman;
    domain.push('-');
    domain.push_str(region.roman);
    domain.push_str(".example");
    OrgName { name, domain, kind }
}

// ---------------------------------------------------------------------------------------------
// Small vocabularies: titles, hobbies, notes, interaction outcomes
// ---------------------------------------------------------------------------------------------

/// Key-person titles, most senior first.
#[rustfmt::skip]
pub fn titles(script: Script) -> &'static [&'static str] {
    match script {
        Script::English => &[
            "Owner", "General Manager", "Purchasing Manager", "Store Manager", "Head Barista",
            "Accountant", "Operations Lead",
        ],
        Script::Simplified => &[
            "总经理", "老板", "采购经理", "店长", "财务主管", "运营总监", "咖啡师主管",
        ],
        Script::Traditional => &[
            "負責人", "總經理", "採購經理", "店長", "會計", "營運主管", "咖啡師",
        ],
        Script::Korean => &[
            "대표", "사장", "구매팀장", "점장", "경리", "운영실장", "바리스타 팀장",
        ],
    }
}

#[rustfmt::skip]
pub fn hobbies(script: Script) -> &'static [&'static str] {
    match script {
        Script::English => &[
            "golf", "hiking", "fishing", "jazz", "cycling", "wine", "photography", "gardening",
            "baseball", "cooking",
        ],
        Script::Simplified => &[
            "高尔夫", "钓鱼", "登山", "书法", "品茶", "摄影", "象棋", "旅游", "篮球", "太极",
        ],
        Script::Traditional => &[
            "高爾夫", "登山", "品茶", "攝影", "單車", "烘焙", "旅遊", "書法", "音樂", "釣魚",
        ],
        Script::Korean => &[
            "골프", "등산", "낚시", "독서", "와인", "사진", "캠핑", "야구", "요리", "테니스",
        ],
    }
}

#[rustfmt::skip]
pub fn key_person_notes(script: Script) -> &'static [&'static str] {
    match script {
        Script::English => &[
            "Prefers e-mail over calls", "Decides on all equipment purchases",
            "Likes single-origin samples", "Call before 11 am", "Signs the annual contract",
        ],
        Script::Simplified => &[
            "喜欢普洱茶", "微信联系最方便", "负责设备采购决策", "上午十点后联系", "关注价格和账期",
        ],
        Script::Traditional => &[
            "偏好 LINE 聯絡", "負責年度合約", "喜歡單品咖啡", "週末請勿來電", "重視交貨時間",
        ],
        Script::Korean => &[
            "카카오톡 선호", "장비 구매 결정권자", "주말 연락 자제", "오전 통화 선호", "가격보다 품질 중시",
        ],
    }
}

#[rustfmt::skip]
pub fn customer_notes(script: Script) -> &'static [&'static str] {
    match script {
        Script::English => &[
            "Prefers delivery on Mondays", "Pays by bank transfer",
            "Asked for oat-milk pairing ideas", "Referred by a neighbour shop",
            "Interested in the barista course",
        ],
        Script::Simplified => &[
            "周一送货", "月结客户", "对新品感兴趣", "老客户介绍", "希望开发票",
        ],
        Script::Traditional => &[
            "每週一送貨", "月結客戶", "對新品有興趣", "朋友介紹", "需要統一編號",
        ],
        Script::Korean => &[
            "월요일 배송 희망", "월말 결제", "신제품 관심", "지인 소개 고객", "세금계산서 발행 요청",
        ],
    }
}

#[rustfmt::skip]
pub fn outcomes(script: Script) -> &'static [&'static str] {
    match script {
        Script::English => &[
            "Happy with the last delivery", "Will reorder next week", "Asked for a price list",
            "Left samples", "Discussed the new espresso blend",
            "Complained about a late delivery; apologised", "Wants a maintenance visit",
            "No answer, will call back", "Thanked for the order", "Invited to the tasting day",
        ],
        Script::Simplified => &[
            "对上次送货满意", "下周补货", "索取价目表", "留下样品", "介绍新品拼配豆", "反映送货延迟，已致歉", "预约设备保养", "未接通，稍后回拨",
            "感谢惠顾", "邀请参加品鉴会",
        ],
        Script::Traditional => &[
            "對上次送貨滿意", "下週補貨", "索取價目表", "留下樣品", "介紹新品配方豆", "反映送貨延遲，已致歉", "預約機器保養", "未接聽，稍後回電",
            "感謝訂購", "邀請參加品鑑會",
        ],
        Script::Korean => &[
            "지난 배송 만족", "다음 주 재주문 예정", "가격표 요청", "샘플 전달", "신규 블렌드 소개", "배송 지연 불만, 사과함", "장비 점검 요청",
            "부재중, 재통화 예정", "주문 감사 인사", "시음회 초대",
        ],
    }
}

/// A list of short phrases in one language.
pub type Phrases = &'static [&'static str];

/// Background phrases for organisations: (financial strength, sales situation, promotion
/// attitude), per script.
#[rustfmt::skip]
pub fn org_background(script: Script) -> (Phrases, Phrases, Phrases) {
    match script {
        Script::English => (
            &["strong", "good", "average", "tight"],
            &["growing", "stable", "flat", "declining"],
            &[
                "keen on promotions", "neutral", "sceptical, prefers low prices",
            ],
        ),
        Script::Simplified => (
            &["雄厚", "良好", "一般", "紧张"],
            &["增长", "稳定", "持平", "下滑"],
            &["积极参与促销", "态度一般", "不感兴趣，更看重价格"],
        ),
        Script::Traditional => (
            &["雄厚", "良好", "普通", "吃緊"],
            &["成長", "穩定", "持平", "衰退"],
            &["積極參與促銷", "態度普通", "不感興趣，較重價格"],
        ),
        Script::Korean => (
            &["탄탄함", "양호", "보통", "빠듯함"],
            &["성장", "안정", "정체", "하락"],
            &["판촉 적극 참여", "보통", "관심 적음, 가격 중시"],
        ),
    }
}

#[rustfmt::skip]
pub fn occupations(script: Script) -> &'static [&'static str] {
    match script {
        Script::English => &[
            "teacher", "engineer", "nurse", "designer", "student", "accountant", "retired",
            "developer",
        ],
        Script::Simplified => &[
            "教师", "工程师", "医生", "设计师", "学生", "会计", "公务员", "退休",
        ],
        Script::Traditional => &[
            "教師", "工程師", "護理師", "設計師", "學生", "會計", "公務員", "退休",
        ],
        Script::Korean => &[
            "교사", "엔지니어", "간호사", "디자이너", "대학생", "회계사", "공무원", "자영업",
        ],
    }
}

/// A date `years_ago` years (plus a random part of a year) before `today`.
pub fn date_years_ago<R: Rng + ?Sized>(
    rng: &mut R,
    today: NaiveDate,
    min_years: u32,
    max_years: u32,
) -> NaiveDate {
    let years = between(rng, min_years, max_years) as i32;
    let day = between(rng, 0, 364) as i64;
    let y = today.year() - years;
    NaiveDate::from_yo_opt(y, 1)
        .and_then(|d| d.checked_add_signed(chrono::Duration::days(day)))
        .filter(|d| *d <= today)
        .unwrap_or(today)
}

/// Follow-ups staff promise in a contact (the agenda reminds them).
pub fn follow_ups(script: Script) -> &'static [&'static str] {
    match script {
        Script::English => &[
            "Send the new price list",
            "Call back about the espresso machine service",
            "Bring samples of the new blend",
            "Confirm the delivery date",
        ],
        Script::Simplified => &[
            "发送新价目表",
            "回电确认设备保养",
            "带新品样品拜访",
            "确认送货日期",
        ],
        Script::Traditional => &[
            "寄送新價目表",
            "回電確認機器保養",
            "帶新品樣品拜訪",
            "確認送貨日期",
        ],
        Script::Korean => &[
            "새 가격표 발송",
            "장비 점검 관련 회신 전화",
            "신규 블렌드 샘플 전달",
            "배송일 확인",
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use patron_core::values::{parse_email, parse_phone};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn phones_and_emails_parse_in_every_script() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..2_000 {
            for script in Script::ALL {
                let r = region(&mut rng, script);
                for p in [mobile(&mut rng, script, r), landline(&mut rng, script, r)] {
                    assert!(parse_phone("phone", &p).is_ok(), "{p}");
                }
                let n = person_name(&mut rng, script, Gender::Female);
                let e = person_email(&mut rng, script, &n.email_local, Some(1988));
                assert!(parse_email("email", &e).is_ok(), "{e}");
                let o = org_name(&mut rng, script, r);
                let e = format!("info@{}", o.domain);
                assert!(parse_email("email", &e).is_ok(), "{e}");
                assert!(!address(&mut rng, script, r).is_empty());
            }
        }
    }
}
