//! The natural-language texts of the charset pages.
//!
//! Plain prose, no markup, so "the decoded page contains the sample" is a
//! substring check. Each text only uses characters its target encoding can
//! represent (checked by the parent module's tests).

/// Simplified Chinese, served as GBK.
pub(super) const GBK: &str = "北京是中华人民共和国的首都，也是全国的政治中心和文化中心。\
这座城市有三千多年的建城历史，留下了许多珍贵的文物古迹，例如故宫、天坛、颐和园和长城。\
每年春天，公园里的花都开了，很多人带着家人和朋友去散步、拍照。到了秋天，香山的红叶吸引了\
大量游客。北京的饮食也很有特色，烤鸭、炸酱面和豆汁都是当地人喜爱的食物。随着经济的发展，\
城市里修建了越来越多的地铁线路，人们出行变得更加方便。与此同时，政府也在努力改善空气质量，\
保护历史街区，让古老的胡同和现代的高楼能够和谐共存。许多年轻人从全国各地来到这里学习和工作，\
他们希望在这座充满机会的城市里实现自己的梦想。晚上，街道两旁的小店亮起灯光，人们在一起吃饭\
聊天，享受忙碌一天之后的轻松时光。";

/// Simplified Chinese, served as GB18030.
pub(super) const GB18030: &str = "中国的茶文化历史悠久，已经有几千年的传统。\
人们相信，最早发现茶叶的人是神农氏。在唐代，陆羽写下了《茶经》，这是世界上第一部关于茶的\
专著，详细记录了种茶、采茶、制茶和饮茶的方法。到了宋代，点茶和斗茶在文人之间非常流行。\
今天，中国各地出产许多不同种类的茶，比如杭州的龙井、福建的铁观音、云南的普洱和安徽的黄山\
毛峰。喝茶不仅是一种生活习惯，也是一种待客的礼节。家里来了客人，主人通常会先泡一壶好茶。\
很多城市都有传统的茶馆，老人们喜欢在那里下棋、听戏、聊天，一坐就是一个下午。近年来，年轻人\
也开始重新关注传统茶艺，他们在网上分享泡茶的经验，让这门古老的艺术焕发出新的活力。\
有人说，一杯清茶可以让人静下心来，慢慢体会生活中的美好。";

/// Traditional Chinese, served as Big5.
pub(super) const BIG5: &str = "臺灣位於東亞，是一個四面環海的島嶼，氣候溫暖潮濕，\
四季都適合旅行。島上有高聳的山脈，也有美麗的海岸線，玉山是東北亞最高的山峰。臺北是最大的\
城市，那裡有熱鬧的夜市、便利的捷運和許多博物館，其中故宮博物院收藏了大量珍貴的文物。每到\
晚上，夜市裡總是擠滿了人，大家一邊逛街，一邊品嚐蚵仔煎、滷肉飯、珍珠奶茶和各種小吃。臺灣的\
人民熱情友善，如果你在路上迷路了，常常會有人主動過來幫忙。除了城市以外，花蓮的太魯閣峽谷、\
南投的日月潭和墾丁的海灘也都是非常受歡迎的旅遊景點。許多外國朋友來到這裡學習中文，他們說\
這裡的生活步調輕鬆，食物好吃，交通也很方便，是一個讓人想要再回來的地方。\
下次有機會的話，歡迎你也來這裡走走，看看這座島嶼的風景。";

/// Japanese, served as Shift_JIS.
pub(super) const SHIFT_JIS: &str = "日本は東アジアにある島国で、北海道、本州、四国、\
九州の四つの大きな島と、たくさんの小さな島からできています。春には各地で桜が咲き、多くの人が\
公園に集まって花見を楽しみます。夏は暑くて湿気が多いですが、夏祭りや花火大会がたくさん開かれ\
ます。秋になると山の木々が赤や黄色に色づき、紅葉を見に出かける人でにぎわいます。冬には北の\
地方で雪がたくさん降り、スキーや温泉が人気です。東京は日本の首都で、世界でも有数の大都市です。\
電車や地下鉄がとても便利で、時間どおりに運行されることで知られています。一方、京都や奈良には\
古いお寺や神社が数多く残っており、昔の日本の文化を感じることができます。日本料理も世界中で\
人気があり、寿司や天ぷら、ラーメンなどを食べるために日本を訪れる観光客も少なくありません。";

/// Korean, served as EUC-KR.
pub(super) const EUC_KR: &str = "서울은 대한민국의 수도이며 한반도의 중심에 자리 잡고 \
있습니다. 이 도시는 육백 년이 넘는 역사를 가지고 있어서 옛 궁궐과 현대적인 건물이 함께 \
어우러져 있습니다. 경복궁과 창덕궁에서는 조선 시대의 아름다운 건축을 볼 수 있고, 남산 \
서울타워에 올라가면 도시 전체를 한눈에 내려다볼 수 있습니다. 한강은 서울을 가로질러 흐르며, \
주말이 되면 많은 시민들이 강변 공원에서 자전거를 타거나 가족과 함께 소풍을 즐깁니다. 서울의 \
지하철은 노선이 많고 깨끗해서 외국인 관광객도 쉽게 이용할 수 있습니다. 저녁에는 시장과 \
골목마다 맛있는 음식 냄새가 가득합니다. 떡볶이, 김밥, 비빔밥 같은 한국 음식은 값도 싸고 \
맛도 좋아서 누구에게나 인기가 많습니다. 최근에는 한국의 음악과 드라마가 세계적으로 사랑을 \
받으면서 서울을 찾는 여행객이 더욱 늘어나고 있습니다.";

/// French and German, served as windows-1252 and declared ISO-8859-1, so
/// it avoids the characters (œ, curly quotes, €) where the two differ.
pub(super) const LATIN1: &str = "« Bonjour à tous ! » Ce matin, la boulangère du \
village a préparé des croissants et des pains au chocolat dès cinq heures. Les élèves passent \
devant la fenêtre en riant, et le café déborde déjà de voisins qui discutent de la fête de \
l'été. Où irons-nous pendant les vacances ? Peut-être à la mer, près de Saint-Malo, où l'on \
mange des crêpes au beurre salé. Drüben in München genießen die Leute ihr Frühstück mit \
Brötchen, Käse und einer großen Tasse Kaffee. Die Straßen sind ruhig, nur ein paar Radfahrer \
fahren über die Brücke, und die Bäckerei an der Ecke verkauft süße Brezeln. Später gehen wir \
spazieren, weil das Wetter schön ist und die Vögel fröhlich singen. Grüße aus Österreich!";

/// Several scripts at once, served as UTF-8.
pub(super) const UTF_8: &str = "Un crawler rencontre toutes sortes de textes : « déjà vu » \
en français, „Grüße aus Köln“ auf Deutsch, Καλημέρα κόσμε στα ελληνικά, Привет, мир по-русски. \
在中文网页上，我们经常看到新闻、论坛和购物网站。日本語のページでは、ひらがなとカタカナと漢字が\
混ざっています。한국어 웹 페이지도 아주 많습니다. שלום עולם בעברית, مرحبا بالعالم بالعربية, \
and a few symbols such as €, ©, ½, → and the crab 🦀 that needs four bytes. A decoder that \
gets any of these wrong will show mojibake instead of the original sentences.";
