// Emoji by the short names people type between colons (":tada:"), as Slack, GitHub and Mattermost
// spell them: the message box suggests them and the reaction picker takes them. The common ones
// only; any other emoji can still be typed, pasted or picked with the system's emoji keyboard.

/// [name, emoji, other names…]
const TABLE = [
  ["smile", "😄"], ["grinning", "😀"], ["smiley", "😃"], ["grin", "😁"], ["laughing", "😆", "satisfied"], ["sweat_smile", "😅"],
  ["joy", "😂"], ["rofl", "🤣", "rolling_on_the_floor_laughing"], ["slightly_smiling_face", "🙂"], ["upside_down_face", "🙃"],
  ["wink", "😉"], ["blush", "😊"], ["innocent", "😇"], ["heart_eyes", "😍"], ["star_struck", "🤩"], ["kissing_heart", "😘"],
  ["yum", "😋"], ["stuck_out_tongue", "😛"], ["stuck_out_tongue_winking_eye", "😜"], ["zany_face", "🤪"], ["money_mouth_face", "🤑"],
  ["hugs", "🤗", "hugging_face"], ["hand_over_mouth", "🤭"], ["shushing_face", "🤫"], ["thinking", "🤔", "thinking_face"],
  ["zipper_mouth_face", "🤐"], ["raised_eyebrow", "🤨"], ["neutral_face", "😐"], ["expressionless", "😑"], ["no_mouth", "😶"],
  ["smirk", "😏"], ["unamused", "😒"], ["roll_eyes", "🙄", "face_with_rolling_eyes"], ["grimacing", "😬"], ["relieved", "😌"],
  ["pensive", "😔"], ["sleepy", "😪"], ["sleeping", "😴"], ["mask", "😷"], ["face_with_thermometer", "🤒"], ["nauseated_face", "🤢"],
  ["sneezing_face", "🤧"], ["hot_face", "🥵"], ["cold_face", "🥶"], ["woozy_face", "🥴"], ["dizzy_face", "😵"], ["exploding_head", "🤯"],
  ["cowboy_hat_face", "🤠"], ["partying_face", "🥳"], ["sunglasses", "😎"], ["nerd_face", "🤓"], ["monocle_face", "🧐"],
  ["confused", "😕"], ["worried", "😟"], ["slightly_frowning_face", "🙁"], ["open_mouth", "😮"], ["hushed", "😯"], ["astonished", "😲"],
  ["flushed", "😳"], ["pleading_face", "🥺"], ["frowning", "😦"], ["anguished", "😧"], ["fearful", "😨"], ["cold_sweat", "😰"],
  ["disappointed_relieved", "😥"], ["cry", "😢"], ["sob", "😭"], ["scream", "😱"], ["confounded", "😖"], ["persevere", "😣"],
  ["disappointed", "😞"], ["sweat", "😓"], ["weary", "😩"], ["tired_face", "😫"], ["yawning_face", "🥱"], ["triumph", "😤"],
  ["rage", "😡", "pout"], ["angry", "😠"], ["cursing_face", "🤬"], ["smiling_imp", "😈"], ["skull", "💀"], ["poop", "💩", "hankey", "shit"],
  ["clown_face", "🤡"], ["ghost", "👻"], ["alien", "👽"], ["robot", "🤖"], ["see_no_evil", "🙈"], ["hear_no_evil", "🙉"],
  ["speak_no_evil", "🙊"], ["wave", "👋"], ["raised_hand", "✋", "hand"], ["ok_hand", "👌"], ["pinched_fingers", "🤌"],
  ["v", "✌️"], ["crossed_fingers", "🤞"], ["love_you_gesture", "🤟"], ["metal", "🤘"], ["call_me_hand", "🤙"],
  ["point_left", "👈"], ["point_right", "👉"], ["point_up", "☝️"], ["point_down", "👇"], ["+1", "👍", "thumbsup"],
  ["-1", "👎", "thumbsdown"], ["fist", "✊"], ["facepunch", "👊", "punch"], ["clap", "👏"], ["raised_hands", "🙌"],
  ["open_hands", "👐"], ["handshake", "🤝"], ["pray", "🙏"], ["writing_hand", "✍️"], ["muscle", "💪"], ["eyes", "👀"],
  ["brain", "🧠"], ["eye", "👁️"], ["shrug", "🤷"], ["facepalm", "🤦"], ["bow", "🙇"], ["raising_hand", "🙋"],
  ["heart", "❤️"], ["orange_heart", "🧡"], ["yellow_heart", "💛"], ["green_heart", "💚"], ["blue_heart", "💙"],
  ["purple_heart", "💜"], ["black_heart", "🖤"], ["white_heart", "🤍"], ["broken_heart", "💔"], ["two_hearts", "💕"],
  ["sparkling_heart", "💖"], ["heartpulse", "💗"], ["100", "💯"], ["boom", "💥", "collision"], ["dizzy", "💫"], ["zzz", "💤"],
  ["speech_balloon", "💬"], ["thought_balloon", "💭"], ["fire", "🔥"], ["sparkles", "✨"], ["star", "⭐"], ["star2", "🌟"],
  ["zap", "⚡"], ["rainbow", "🌈"], ["sunny", "☀️"], ["cloud", "☁️"], ["umbrella", "☔"], ["snowflake", "❄️"], ["snowman", "⛄"],
  ["ocean", "🌊"], ["earth_africa", "🌍"], ["crescent_moon", "🌙"], ["seedling", "🌱"], ["evergreen_tree", "🌲"], ["palm_tree", "🌴"],
  ["cactus", "🌵"], ["four_leaf_clover", "🍀"], ["fallen_leaf", "🍂"], ["rose", "🌹"], ["sunflower", "🌻"], ["tulip", "🌷"],
  ["dog", "🐶"], ["cat", "🐱"], ["mouse", "🐭"], ["rabbit", "🐰"], ["fox_face", "🦊"], ["bear", "🐻"], ["panda_face", "🐼"],
  ["koala", "🐨"], ["tiger", "🐯"], ["lion", "🦁"], ["cow", "🐮"], ["pig", "🐷"], ["frog", "🐸"], ["monkey_face", "🐵"],
  ["chicken", "🐔"], ["penguin", "🐧"], ["bird", "🐦"], ["owl", "🦉"], ["unicorn", "🦄"], ["bee", "🐝", "honeybee"], ["bug", "🐛"],
  ["butterfly", "🦋"], ["snail", "🐌"], ["turtle", "🐢"], ["snake", "🐍"], ["octopus", "🐙"], ["whale", "🐳"], ["dolphin", "🐬"],
  ["fish", "🐟"], ["crab", "🦀"], ["apple", "🍎"], ["banana", "🍌"], ["lemon", "🍋"], ["watermelon", "🍉"], ["grapes", "🍇"],
  ["strawberry", "🍓"], ["cherries", "🍒"], ["peach", "🍑"], ["avocado", "🥑"], ["hot_pepper", "🌶️"], ["bread", "🍞"],
  ["cheese", "🧀"], ["hamburger", "🍔"], ["fries", "🍟"], ["pizza", "🍕"], ["hotdog", "🌭"], ["taco", "🌮"], ["burrito", "🌯"],
  ["ramen", "🍜"], ["spaghetti", "🍝"], ["sushi", "🍣"], ["doughnut", "🍩"], ["cookie", "🍪"], ["cake", "🍰"],
  ["birthday", "🎂"], ["chocolate_bar", "🍫"], ["popcorn", "🍿"], ["coffee", "☕"], ["tea", "🍵"], ["beer", "🍺"], ["beers", "🍻"],
  ["wine_glass", "🍷"], ["cocktail", "🍸"], ["champagne", "🍾"], ["clinking_glasses", "🥂"], ["tada", "🎉"], ["confetti_ball", "🎊"],
  ["balloon", "🎈"], ["gift", "🎁"], ["trophy", "🏆"], ["medal_sports", "🏅"], ["1st_place_medal", "🥇"], ["soccer", "⚽"],
  ["basketball", "🏀"], ["football", "🏈"], ["tennis", "🎾"], ["dart", "🎯"], ["video_game", "🎮"], ["game_die", "🎲"],
  ["jigsaw", "🧩"], ["art", "🎨"], ["musical_note", "🎵"], ["notes", "🎶"], ["microphone", "🎤"], ["headphones", "🎧"],
  ["guitar", "🎸"], ["car", "🚗"], ["taxi", "🚕"], ["bus", "🚌"], ["bike", "🚲"], ["train", "🚆"], ["airplane", "✈️"],
  ["rocket", "🚀"], ["ship", "🚢"], ["house", "🏠"], ["office", "🏢"], ["hospital", "🏥"], ["tent", "⛺"], ["watch", "⌚"],
  ["iphone", "📱"], ["computer", "💻"], ["keyboard", "⌨️"], ["desktop_computer", "🖥️"], ["printer", "🖨️"], ["camera", "📷"],
  ["tv", "📺"], ["phone", "☎️", "telephone"], ["battery", "🔋"], ["electric_plug", "🔌"], ["bulb", "💡"], ["flashlight", "🔦"],
  ["candle", "🕯️"], ["moneybag", "💰"], ["dollar", "💵"], ["credit_card", "💳"], ["gem", "💎"], ["wrench", "🔧"], ["hammer", "🔨"],
  ["hammer_and_wrench", "🛠️"], ["gear", "⚙️"], ["nut_and_bolt", "🔩"], ["link", "🔗"], ["lock", "🔒"], ["unlock", "🔓"],
  ["key", "🔑"], ["shield", "🛡️"], ["mag", "🔍"], ["pushpin", "📌"], ["paperclip", "📎"], ["scissors", "✂️"], ["pencil2", "✏️"],
  ["memo", "📝", "pencil"], ["book", "📖", "open_book"], ["books", "📚"], ["bookmark", "🔖"], ["calendar", "📆"], ["date", "📅"],
  ["chart_with_upwards_trend", "📈"], ["chart_with_downwards_trend", "📉"], ["bar_chart", "📊"], ["clipboard", "📋"],
  ["file_folder", "📁"], ["package", "📦"], ["email", "📧", "e-mail"], ["envelope", "✉️"], ["inbox_tray", "📥"], ["outbox_tray", "📤"],
  ["mailbox", "📫"], ["bell", "🔔"], ["no_bell", "🔕"], ["loudspeaker", "📢"], ["mega", "📣"], ["hourglass", "⌛"],
  ["stopwatch", "⏱️"], ["alarm_clock", "⏰"], ["clock3", "🕒"], ["construction", "🚧"], ["rotating_light", "🚨"],
  ["warning", "⚠️"], ["no_entry", "⛔"], ["no_entry_sign", "🚫"], ["x", "❌"], ["heavy_check_mark", "✔️"],
  ["white_check_mark", "✅"], ["ballot_box_with_check", "☑️"], ["heavy_plus_sign", "➕"], ["heavy_minus_sign", "➖"],
  ["question", "❓"], ["grey_question", "❔"], ["exclamation", "❗", "heavy_exclamation_mark"], ["bangbang", "‼️"],
  ["interrobang", "⁉️"], ["recycle", "♻️"], ["arrow_up", "⬆️"], ["arrow_down", "⬇️"], ["arrow_left", "⬅️"], ["arrow_right", "➡️"],
  ["arrows_counterclockwise", "🔄"], ["new", "🆕"], ["free", "🆓"], ["ok", "🆗"], ["cool", "🆒"], ["sos", "🆘"], ["red_circle", "🔴"],
  ["large_orange_circle", "🟠"], ["large_yellow_circle", "🟡"], ["large_green_circle", "🟢"], ["large_blue_circle", "🔵"],
  ["white_circle", "⚪"], ["black_circle", "⚫"], ["checkered_flag", "🏁"], ["triangular_flag_on_post", "🚩"], ["white_flag", "🏳️"],
  ["pirate_flag", "🏴‍☠️"], ["rainbow_flag", "🏳️‍🌈"], ["globe_with_meridians", "🌐"], ["information_source", "ℹ️"],
  ["copyright", "©️"], ["registered", "®️"], ["tm", "™️"], ["squirrel", "🐿️", "shipit"], ["lady_beetle", "🐞", "beetle"],
];

/// Every name (and other name) to its emoji.
const BY_NAME = new Map();
/// Each emoji's names in the table's order, for suggestions: [name, emoji].
const NAMES = [];
for (const [name, emoji, ...aliases] of TABLE) {
  for (const each of [name, ...aliases]) {
    if (!BY_NAME.has(each)) {
      BY_NAME.set(each, emoji);
      NAMES.push([each, emoji]);
    }
  }
}

/// The skin tone given to emoji that take one: 0 none (their own yellow), 1–5 light to dark.
let tone = 0;
const MODIFIERS = /[\u{1F3FB}-\u{1F3FF}]/gu;
/// One emoji that takes a skin tone (a hand, a person), with or without U+FE0F after it.
const TAKES_TONE = /^\p{Emoji_Modifier_Base}\uFE0F?$/u;

/// The skin tones, 0 (none) to 5, by name.
export const SKIN_TONES = ["No skin tone", "Light skin tone", "Medium-light skin tone", "Medium skin tone", "Medium-dark skin tone", "Dark skin tone"];

/// The emoji each tone is shown on, wherever one is chosen (the picker, the settings).
export const TONE_HAND = "✋";

/// Sets the skin tone (my setting, `skin_tone`) that names, suggestions and the picker give emoji,
/// and answers it (0 for anything but 0–5).
export function setEmojiTone(level) {
  tone = Number.isInteger(level) && level >= 0 && level <= 5 ? level : 0;
  return tone;
}

/// `emoji` in skin tone `level` (the one set, unless given) when it takes one: its modifier replaced
/// (U+FE0F goes, as a tone already makes it an emoji), or taken away for 0. Anything else as it is.
export function toned(emoji, level = tone) {
  const plain = emoji.replace(MODIFIERS, "");
  if (!TAKES_TONE.test(plain)) return emoji;
  return level ? String.fromCodePoint(plain.codePointAt(0), 0x1f3fa + level) : plain;
}

/// The emoji a short name stands for ("tada" or ":tada:"), in my skin tone, or null.
export function emojiNamed(text) {
  const name = text.trim().toLowerCase().replace(/^:(.+):$/u, "$1");
  const emoji = BY_NAME.get(name);
  return emoji ? toned(emoji) : null;
}

/// Up to `max` emoji whose name starts with `typed`, then those with a word of the name starting
/// with it ("smiling" also finds :slightly_smiling_face:), each as { name, emoji } (in my skin
/// tone), one per emoji.
export function emojiSuggestions(typed, max = 8) {
  const key = typed.toLowerCase();
  const starts = NAMES.filter(([name]) => name.startsWith(key));
  const words = NAMES.filter(([name]) => !name.startsWith(key) && name.split(/[_-]/u).some((word) => word.startsWith(key)));
  const seen = new Set();
  const found = [];
  for (const [name, emoji] of [...starts, ...words]) {
    if (seen.has(emoji)) continue;
    seen.add(emoji);
    found.push({ name, emoji: toned(emoji) });
    if (found.length === max) break;
  }
  return found;
}

/// The emoji picker's groups: each starts at the table's entry of that name and runs to the next.
const GROUP_STARTS = [
  ["Smileys", "smile"], ["Gestures and people", "wave"], ["Hearts and signs", "heart"], ["Nature", "zap"],
  ["Food and drink", "apple"], ["Activities", "tada"], ["Travel and places", "car"], ["Objects", "watch"], ["Symbols", "warning"],
];

/// Every emoji of the table by group, in its order (in my skin tone): [{ label, emoji: [{ name, emoji }] }].
export function emojiGroups() {
  const starts = new Map(GROUP_STARTS.map(([label, name]) => [name, label]));
  const groups = [];
  for (const [name, emoji] of TABLE) {
    if (starts.has(name) || groups.length === 0) groups.push({ label: starts.get(name) ?? GROUP_STARTS[0][0], emoji: [] });
    groups.at(-1).emoji.push({ name, emoji: toned(emoji) });
  }
  return groups;
}
