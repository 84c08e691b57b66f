"""Message formatting: the Markdown subset the client renders (code, quotes, bold, italic, struck),
built as elements with the text as text, and what it leaves alone (words with underscores, links,
HTML)."""
from selenium.webdriver.common.keys import Keys

from parley_browser import Chat

# Renders text with the client's own module and answers the HTML of the nodes.
RENDER = """const [text, done] = [arguments[0], arguments[arguments.length - 1]];
import('/markup.js').then(m => {
  const box = document.createElement('div');
  box.append(...m.formatMessage(text, {names: new Set(['me', 'my_team']), keywords: null}));
  done(box.innerHTML);
}).catch(e => done('ERROR ' + e));"""

CASES = [
    ("plain text", "plain text"),
    ("**bold** and *italic* and _also_ and ~~gone~~",
     "<strong>bold</strong> and <em>italic</em> and <em>also</em> and <del>gone</del>"),
    ("use `rm -rf *.tmp` here", "use <code>rm -rf *.tmp</code> here"),
    ("**bold with *italic* inside**", "<strong>bold with <em>italic</em> inside</strong>"),
    ("*one* *two* **three** **four**", "<em>one</em> <em>two</em> <strong>three</strong> <strong>four</strong>"),
    ("(_aside_) and \\_escaped_", "(<em>aside</em>) and \\_escaped_"),
    # Markers inside words, arithmetic and lone stars stay.
    ("snake_case_name and 2*3*4 and a * b * c", "snake_case_name and 2*3*4 and a * b * c"),
    ("file_name.txt_ and _init_", "file_name.txt_ and <em>init</em>"),
    # Links keep their underscores and stars; code keeps mentions and markers as text.
    ("see https://example.com/_a_/b*c* now",
     'see <a href="https://example.com/_a_/b*c*" target="_blank" rel="noopener noreferrer nofollow">https://example.com/_a_/b*c*</a> now'),
    ("`@me **not bold**`", "<code>@me **not bold**</code>"),
    ("**@me**", '<strong><span class="mention self">@me</span></strong>'),
    # A user group of mine is a mention of me; anyone else's name is a plain mention.
    ("@My_Team and @you", '<span class="mention self">@My_Team</span> and <span class="mention">@you</span>'),
    # Blocks.
    ("before\n```js\nconst a = 1 < 2;\n  indented\n```\nafter",
     'before<pre class="code-block"><code>const a = 1 &lt; 2;\n  indented</code></pre>after'),
    ("```\nnever closed", '<pre class="code-block"><code>never closed</code></pre>'),
    ("> quoted line\n> second\nreply", "<blockquote>quoted line\nsecond</blockquote>reply"),
    ("a > b", "a &gt; b"),
    # Lists: bullets (-, *, +) or numbers, from the first number; text around them stays text.
    ("todo:\n- milk\n- **eggs**\ndone", "todo:<ul><li>milk</li><li><strong>eggs</strong></li></ul>done"),
    ("* one\n+ two", "<ul><li>one</li><li>two</li></ul>"),
    ("1. first\n2) second\n- loose", "<ol><li>first</li><li>second</li></ol><ul><li>loose</li></ul>"),
    ("3. third\n4. fourth", '<ol start="3"><li>third</li><li>fourth</li></ol>'),
    ("> - quoted item\n> text", "<blockquote><ul><li>quoted item</li></ul>text</blockquote>"),
    # Nested: two spaces (or a tab) past the list it follows; back out by lining up with an outer one.
    ("- fruit\n  - apples\n  - pears\n- bread", "<ul><li>fruit<ul><li>apples</li><li>pears</li></ul></li><li>bread</li></ul>"),
    ("1. plan\n   1. draft\n      - notes\n   2. review\n2. ship",
     "<ol><li>plan<ol><li>draft<ul><li>notes</li></ul></li><li>review</li></ol></li><li>ship</li></ol>"),
    ("- a\n\t- tabbed\n - one space is the same list", "<ul><li>a<ul><li>tabbed</li></ul></li><li>one space is the same list</li></ul>"),
    ("- a\n  1. one\n  - b", "<ul><li>a<ol><li>one</li></ol><ul><li>b</li></ul></li></ul>"),
    ("  - indented first\n- same list", "<ul><li>indented first</li><li>same list</li></ul>"),
    ("- 1\n  - 2\n    - 3\n      - 4\n        - 5\n          - 6",
     "<ul><li>1<ul><li>2<ul><li>3<ul><li>4<ul><li>5</li><li>6</li></ul></li></ul></li></ul></li></ul></li></ul>"),
    ("- a\n  - b\ntext\n  - c", "<ul><li>a<ul><li>b</li></ul></li></ul>text<ul><li>c</li></ul>"),
    # Not items: no space after the marker, nothing after it, a word, a code block's lines.
    ("-1 point\n+1 agreed\n- \n2024 was good", "-1 point\n+1 agreed\n- \n2024 was good"),
    ("```\n- not a list\n```", '<pre class="code-block"><code>- not a list</code></pre>'),
    # HTML is text.
    ("<b>not bold</b> <img src=x onerror=alert(1)>", "&lt;b&gt;not bold&lt;/b&gt; &lt;img src=x onerror=alert(1)&gt;"),
    ("**unclosed and *half", "**unclosed and *half"),
    # A word filter's masks are stars, not emphasis (they showed as "** and *" in bold, a hunt).
    ("this is **** and ****", "this is **** and ****"),
    ("**** ****", "**** ****"),
    ("my ****** thing and *******!", "my ****** thing and *******!"),
    ("**** and **bold**", "**** and <strong>bold</strong>"),
]


def test_formatting_renders_the_markdown_subset_and_leaves_the_rest_as_typed(server, browsers, account):
    account("fmt_alice")
    chat = Chat(browsers(), server).log_in("fmt_alice")
    rendered = [(text, chat.driver.execute_async_script(RENDER, text)) for text, _ in CASES]
    wrong = [(text, got, want) for (text, got), (_, want) in zip(rendered, CASES) if got != want]
    assert wrong == [], wrong


PREVIEW = """const [message, done] = [arguments[0], arguments[arguments.length - 1]];
import('/markup.js').then(m => done(m.preview(message))).catch(e => done('ERROR ' + e));"""


def test_one_line_previews_show_the_text_without_its_formatting_marks(server, browsers, account):
    account("fmt_preview")
    chat = Chat(browsers(), server).log_in("fmt_preview")
    cases = [
        ({"text": "**deploy** is `make ship`\n```\nmake ship\n```\ndone"}, "deploy is make ship make ship done"),
        ({"text": "> quoted line\nmy _answer_ to ~~it~~"}, "quoted line my answer to it"),
        ({"text": "snake_case_name 2*3*4"}, "snake_case_name 2*3*4"),
        ({"text": "plan:\n- milk\n- eggs\nthen go"}, "plan: milk eggs then go"),
        ({"text": "- fruit\n  - **apples**\n- bread"}, "fruit apples bread"),
        ({"text": "", "file": {"name": "notes.txt"}}, "📎 notes.txt"),
    ]
    got = [chat.driver.execute_async_script(PREVIEW, message) for message, _ in cases]
    assert got == [want for _, want in cases]


def test_a_formatted_message_shows_formatted_to_everyone(server, browsers, account):
    owner = account("fmt_owner")
    reader = account("fmt_reader")
    room = owner.create_room("format-room")["id"]
    reader.join(room)
    writer = Chat(browsers(), server).log_in("fmt_owner")
    other = Chat(browsers(), server).log_in("fmt_reader")
    writer.open_room("format-room")
    other.open_room("format-room")
    owner.post(room, "**deploy** is `make ship`\n```\nmake ship\n```")
    other.wait(lambda: other.js("return document.querySelector('#messages li.message:last-child .text pre code')?.textContent") == "make ship",
               message="the code block did not render")
    shown = other.js("""const text = document.querySelector('#messages li.message:last-child .text');
        return [text.querySelector('strong').textContent, text.querySelector(':scope > code').textContent]""")
    assert shown == ["deploy", "make ship"]
    # The stored text is what was typed.
    assert owner.history(room)[0]["text"] == "**deploy** is `make ship`\n```\nmake ship\n```"
    # A list inside a list shows indented under its item, with its own bullets.
    owner.post(room, "groceries:\n- fruit\n  - apples\n  - pears\n- bread")
    other.wait(lambda: other.js("return document.querySelector('#messages li.message:last-child .text ul ul')?.textContent") == "applespears",
               message="the nested list did not render")
    layout = other.js("""const text = document.querySelector('#messages li.message:last-child .text');
        const [outer, inner] = [text.querySelector(':scope > ul > li'), text.querySelector('ul ul > li')];
        return [inner.getBoundingClientRect().left - outer.getBoundingClientRect().left,
                getComputedStyle(outer).listStyleType, getComputedStyle(inner).listStyleType]""")
    assert layout[0] > 10 and layout[1:] == ["disc", "circle"], layout


def test_shift_enter_on_a_list_item_starts_the_next_one_and_on_an_empty_one_ends_the_list(server, browsers, account):
    account("fmt_lists")
    chat = Chat(browsers(), server).log_in("fmt_lists")
    newline = (Keys.SHIFT, Keys.ENTER, Keys.SHIFT)
    box = lambda: chat.find("#composer-text").get_attribute("value")  # noqa: E731
    # Bullets keep their marker and indent; an empty item ends the list; numbers count on.
    chat.type("shopping:", *newline, "- milk", *newline)
    assert box() == "shopping:\n- milk\n- "
    chat.type("fruit", *newline, Keys.BACKSPACE, Keys.BACKSPACE, "  * apples", *newline, "pears", *newline)
    assert box() == "shopping:\n- milk\n- fruit\n  * apples\n  * pears\n  * "
    chat.type(*newline, "3. third", *newline, "fourth", *newline, *newline, "done")
    assert box() == "shopping:\n- milk\n- fruit\n  * apples\n  * pears\n3. third\n4. fourth\ndone", box()
    # Undo takes an inserted marker back, as it would typing.
    chat.find("#composer-text").clear()
    chat.type("- a", *newline)
    assert box() == "- a\n- "
    chat.type(Keys.CONTROL, "z", Keys.CONTROL)
    assert box() == "- a", box()
    chat.find("#composer-text").clear()
    # Before the marker, Shift+Enter is a plain new line.
    chat.type("- one", Keys.HOME, *newline)
    assert box() == "\n- one"
    # A thread's reply box does the same.
    chat.find("#composer-text").clear()
    chat.send("a message to answer")
    chat.wait(lambda: "a message to answer" in chat.texts())
    chat.hover_action("a message to answer", "thread-reply")
    chat.wait(lambda: chat.find("#thread-text").is_displayed())
    chat.find("#thread-text").send_keys("1) first", *newline)
    assert chat.find("#thread-text").get_attribute("value") == "1) first\n2) "


def test_tab_nests_a_list_item_in_the_one_above_and_shift_tab_takes_it_out(server, browsers, account):
    account("fmt_tabs")
    chat = Chat(browsers(), server).log_in("fmt_tabs")
    newline = (Keys.SHIFT, Keys.ENTER, Keys.SHIFT)
    outdent = (Keys.SHIFT, Keys.TAB, Keys.SHIFT)
    box = lambda: chat.find("#composer-text").get_attribute("value")  # noqa: E731
    chat.type("- fruit", *newline, Keys.TAB, "apples", *newline, "pears", *newline)
    assert box() == "- fruit\n  - apples\n  - pears\n  - "
    chat.type(*outdent, "veg")
    assert box() == "- fruit\n  - apples\n  - pears\n- veg"
    # The caret keeps its place in the item's text.
    chat.type(Keys.LEFT, Keys.LEFT, Keys.TAB, "X")
    assert box() == "- fruit\n  - apples\n  - pears\n  - vXeg"
    # Numbers start again at 1 a level down, and go on from the item before a level up.
    chat.find("#composer-text").clear()
    chat.type("1. one", *newline, "two", *newline, Keys.TAB, "two-a", *newline)
    assert box() == "1. one\n2. two\n  1. two-a\n  2. "
    chat.type(*outdent, "three")
    assert box() == "1. one\n2. two\n  1. two-a\n3. three"
    chat.type(Keys.ENTER)
    chat.wait(lambda: chat.js("return [...document.querySelectorAll('#messages li.message:not(.pending) .text ol ol li')].map(n => n.textContent).join()") == "two-a")
    # Where an item cannot nest (nothing above it to nest in) Tab moves the focus, as anywhere else.
    chat.type("- first", Keys.TAB)
    assert box() == "- first"
    assert chat.js("return document.activeElement.id") != "composer-text"
    # A thread's reply box does the same.
    chat.find("#composer-text").clear()
    chat.send("a list to answer")
    chat.wait(lambda: "a list to answer" in chat.texts())
    chat.hover_action("a list to answer", "thread-reply")
    chat.wait(lambda: chat.find("#thread-text").is_displayed())
    chat.find("#thread-text").send_keys("* a", *newline, Keys.TAB, "b")
    assert chat.find("#thread-text").get_attribute("value") == "* a\n  * b"


def test_formatting_keys_put_marks_around_the_selection_and_take_them_away(server, browsers, account):
    account("fmt_keys")
    chat = Chat(browsers(), server).log_in("fmt_keys")
    box = lambda: chat.find("#composer-text").get_attribute("value")  # noqa: E731
    selection = lambda: chat.js("const b = document.getElementById('composer-text'); return b.value.slice(b.selectionStart, b.selectionEnd)")  # noqa: E731
    ctrl = lambda key: (Keys.CONTROL, key, Keys.CONTROL)  # noqa: E731
    select_back = lambda n: (Keys.SHIFT, *[Keys.LEFT] * n, Keys.SHIFT)  # noqa: E731
    # Ctrl+B around the selected word, which stays selected; again, and the marks go.
    chat.type("make this bold", *select_back(4), *ctrl("b"))
    assert box() == "make this **bold**" and selection() == "bold"
    chat.type(*ctrl("b"))
    assert box() == "make this bold" and selection() == "bold"
    # Selected with its marks, the same.
    chat.type(Keys.END, *select_back(4), *ctrl("e"))
    assert box() == "make this `bold`"
    chat.type(Keys.END, *select_back(6), *ctrl("e"))
    assert box() == "make this bold" and selection() == "bold"
    # Nothing selected: a pair, the caret between.
    chat.type(Keys.END, " ", *ctrl("i"), "lean")
    assert box() == "make this bold _lean_"
    # Across lines, each line's text, inside the spaces at its ends; Undo takes it back.
    chat.find("#composer-text").clear()
    chat.type("gone ", Keys.SHIFT, Keys.ENTER, Keys.SHIFT, "  also", *ctrl("a"), Keys.CONTROL, Keys.SHIFT, "x", Keys.SHIFT, Keys.CONTROL)
    assert box() == "~~gone~~ \n  ~~also~~", box()
    chat.type(*ctrl("z"))
    assert box() == "gone \n  also", box()
    # What it makes shows formatted.
    chat.find("#composer-text").clear()
    chat.type("shout", *select_back(5), *ctrl("b"), Keys.END, " ", *ctrl("i"), "softly", Keys.ENTER)
    chat.wait(lambda: chat.js("return [...document.querySelectorAll('#messages li.message:not(.pending) .text')].map(n => n.innerHTML)")[-1:]
              == ["<strong>shout</strong> <em>softly</em>"])
