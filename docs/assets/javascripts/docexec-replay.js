/* Replays of recorded terminal sessions (exec="session" blocks; HTML made by src/docexec/render.py).

   Each session block has a hidden <button class="docexec-replay" data-cast="…/id.cast">. This script shows the
   buttons; the first press loads the vendored asciinema-player (assets/asciinema-player/, URLs given by this
   script tag's data-player-js and data-player-css) and plays the recording under the button, below the static
   transcript, which stays as it is: the searchable, copyable text. Pressing again closes the player.

   Readable on a phone: fitted to the page's width, the 100 columns of a session would be 6 px letters on a phone.
   Where fitting would make them smaller than READABLE px, the player keeps TERMINAL_FONT and its terminal scrolls
   sideways inside its box (class docexec-player-scroll, docexec.css); the static transcript above it wraps its
   lines at the page's width instead, which a replay cannot do without changing what the terminal showed.
   In Chinese: the player's own words (its buttons' names and tooltips, its keyboard-shortcut help) are put in
   Chinese as it shows them (WORDS; the vendored player has no option for its language, and stays unchanged). */
(function () {
  var me = document.currentScript
  var loading = null
  var COLS = 100, ROWS = 30
  var READABLE = 11, TERMINAL_FONT = "12px"
  var CHAR_WIDTH = 0.6  // a monospace letter's width, in em; the terminal's border is 0.75em on each side

  var WORDS = {  // the player's English (asciinema-player 3.17) -> the book's words
    "Play": "播放",
    "Pause": "暂停",
    "Show keyboard shortcuts": "显示键盘快捷键",
    "Keyboard shortcuts (?)": "键盘快捷键（?）",
    "Toggle fullscreen mode": "切换全屏",
    "Fullscreen (f)": "全屏（f）",
    "Mute / unmute": "静音 / 取消静音",
    "Mute (m)": "静音（m）",
    "Unmute (m)": "取消静音（m）",
    "Keyboard shortcuts": "键盘快捷键",
    "space": "空格",
    " - pause / resume": "：暂停 / 继续",
    " - rewind / fast-forward by 5 seconds": "：后退 / 快进 5 秒",
    " - rewind / fast-forward by 10%": "：后退 / 快进 10%",
    " - jump to the previous / next marker": "：跳到上一个 / 下一个标记",
    " - jump to 0%, 10%, 20% ... 90%": "：跳到 0%、10%、20% … 90% 处",
    " - step back / forward, a frame at a time (when paused)": "：暂停时逐帧后退 / 前进",
    " - toggle fullscreen mode": "：切换全屏",
    " - toggle keystroke overlay": "：显示 / 隐藏按键提示",
    " - show this help popup": "：显示本帮助",
    " - mute / unmute audio": "：静音 / 取消静音",
    "Stream ended": "播放结束",
    "Stream offline": "无法播放"
  }

  function translate(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT)
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      if (WORDS.hasOwnProperty(node.data)) node.data = WORDS[node.data]
    }
    root.querySelectorAll("[aria-label], [title]").forEach(function (el) {
      ["aria-label", "title"].forEach(function (name) {
        var value = el.getAttribute(name)
        if (value && WORDS.hasOwnProperty(value)) el.setAttribute(name, WORDS[value])
      })
    })
  }

  function inChinese(holder) {  // now, and whatever the player shows or renames later (Play <-> Pause, help)
    translate(holder)
    holder.words = new MutationObserver(function () { translate(holder) })
    holder.words.observe(holder, { subtree: true, childList: true, characterData: true,
                                   attributes: true, attributeFilter: ["aria-label", "title"] })
  }

  function options(holder) {
    var fitted = holder.clientWidth / (COLS * CHAR_WIDTH + 1.5)  // the font size fitting the width would give
    var base = { cols: COLS, rows: ROWS, autoPlay: true, idleTimeLimit: 2, theme: "asciinema" }
    if (fitted >= READABLE) return Object.assign(base, { fit: "width" })
    holder.classList.add("docexec-player-scroll")
    return Object.assign(base, { fit: false, terminalFontSize: TERMINAL_FONT })
  }

  function load() {
    return loading || (loading = new Promise(function (resolve, reject) {
      var css = document.createElement("link")
      css.rel = "stylesheet"
      css.href = me.dataset.playerCss
      document.head.appendChild(css)
      var js = document.createElement("script")
      js.src = me.dataset.playerJs
      js.onload = function () { resolve(window.AsciinemaPlayer) }
      js.onerror = function () {
        loading = null
        reject(new Error("asciinema-player could not be loaded from " + js.src))
      }
      document.head.appendChild(js)
    }))
  }

  function close(button, holder) {
    if (holder.words) holder.words.disconnect()
    if (holder.player) holder.player.dispose()
    holder.remove()
    button.textContent = "回放"
    button.setAttribute("aria-expanded", "false")
  }

  function toggle(button) {
    var block = button.closest(".docexec")
    var open = block.querySelector(".docexec-player")
    if (open) return close(button, open)
    var holder = document.createElement("div")
    holder.className = "docexec-player"
    button.closest(".docexec-source").after(holder)
    button.textContent = "收起回放"
    button.setAttribute("aria-expanded", "true")
    load().then(function (player) {
      if (!holder.isConnected) return
      holder.player = player.create(button.dataset.cast, holder, options(holder))
      inChinese(holder)
    }, function (error) {
      holder.textContent = "回放加载失败：" + error.message
    })
  }

  function wake() {
    document.querySelectorAll("button.docexec-replay").forEach(function (button) {
      button.hidden = false
      button.setAttribute("aria-expanded", "false")
    })
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.docexec-replay")
    if (button) toggle(button)
  })
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wake)
  else wake()
})()
