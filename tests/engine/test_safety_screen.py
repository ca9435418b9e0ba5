"""The emergency screen on people's own words and on records, category by category, both
levels, and every kind of look-alike that must not flag, in English and Chinese.

These sentences are the tests' own (written from the UKONS triage tool and the NICE
texts); the evaluation note set (casebridge/evaluation/safety_notes.yaml) is separate.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from casebridge.engine.safety import rules, screen_text

TODAY = dt.date(2026, 11, 20)


def flags(text: str, on_treatment: bool = False) -> list[tuple[str, str]]:
    return [
        (f.rule.split(".")[0], f.level)
        for f in screen_text(text, on_treatment=on_treatment, today=TODAY)
    ]


# (text, flag id, level, on treatment)
RAISES = [
    # spinal cord compression, with and without back pain (NICE NG234)
    ("Back pain for a week and now his legs feel like jelly", "mscc", "red", False),
    (
        "Known bony mets. Since Tuesday she has numbness in both legs and can't walk far",
        "mscc",
        "red",
        False,
    ),
    ("Query MSCC - urgent MRI whole spine requested", "mscc", "red", False),
    ("背痛两周，昨天起双下肢无力", "mscc", "red", False),
    ("肺癌骨转移，近3天行走困难", "mscc", "red", False),
    # neutropenic sepsis: fever on SACT, values, Chinese
    (
        "Day 9 of cycle 2 of R-CHOP, temperature 38.4 and shivery",
        "neutropenic_sepsis",
        "red",
        False,
    ),
    ("Had FOLFIRINOX eight days ago, now has a temp of 38.1", "neutropenic_sepsis", "red", False),
    ("She feels hot and shivery tonight", "neutropenic_sepsis", "red", True),
    ("Temp 101.3F this evening, on docetaxel", "neutropenic_sepsis", "red", False),
    ("neuts 0.3 on today's bloods", "neutropenic_sepsis", "red", False),
    ("化疗后第10天，体温38.5℃，伴寒战", "neutropenic_sepsis", "red", False),
    ("Febrile neutropenia suspected", "neutropenic_sepsis", "red", False),
    # sepsis
    (
        "His skin looks mottled and he hasn't passed urine since this morning",
        "sepsis",
        "red",
        False,
    ),
    ("RR 28, HR 135, BP 84/50", "sepsis", "red", False),
    # bleeding (lay words, Chinese, platelets)
    ("He coughed up a cupful of blood this morning", "bleeding", "red", False),
    ("Black tarry stools since yesterday", "bleeding", "red", False),
    ("She has been vomiting blood", "bleeding", "red", False),
    ("platelets 18 x10^9/L", "bleeding", "red", False),
    ("今晨咯血约50ml", "bleeding", "red", False),
    ("黑便2天", "bleeding", "red", False),
    # breathing, chest pain, clots
    ("Struggling to breathe, can't finish a sentence", "breathing", "red", False),
    ("Sats 88% on air", "breathing", "red", False),
    ("Crushing central chest pain going down his left arm", "chest_pain", "red", False),
    ("Her right calf is swollen, red and painful", "vte", "red", False),
    ("?PE - sudden breathlessness on the ward", "vte", "red", False),
    ("突发胸痛伴呼吸困难", "chest_pain", "red", False),
    # neurology
    ("Dad is suddenly confused and doesn't know where he is", "neuro", "red", False),
    ("She had a fit this afternoon", "neuro", "red", False),
    ("His face has dropped on one side and his speech is slurred", "stroke", "red", False),
    ("Brain mets. Headache every morning with vomiting", "raised_icp", "red", False),
    ("患者意识模糊，叫不醒", "neuro", "red", False),
    ("突然口角歪斜，说话不清", "stroke", "red", False),
    # cellular therapy
    ("Day 5 after CAR-T: temperature 38.9 and low blood pressure", "crs_icans", "red", False),
    ("After glofitamab his handwriting has changed and he is muddled", "crs_icans", "red", False),
    # SVCO, calcium
    ("Her face and neck are swollen and she is breathless", "svco", "red", False),
    ("Corrected calcium 3.41 mmol/L, very thirsty", "hypercalcaemia", "red", False),
    ("Adjusted calcium 2.78", "calcium_amber", "amber", False),
    # gut
    ("Diarrhoea x8 today after capecitabine", "sact_gi", "red", False),
    ("On chemo, vomited six times since lunch", "sact_gi", "red", False),
    ("化疗后第5天，腹泻每天8次", "sact_gi", "red", False),
    ("On FOLFOX, diarrhoea 5 times today", "sact_gi_amber", "amber", False),
    ("On pembrolizumab, loose stools four times a day", "immune_colitis", "red", False),
    (
        "Not opened bowels for 5 days, vomiting and tummy is swollen",
        "bowel_obstruction",
        "red",
        False,
    ),
    ("停止排气排便3天，伴腹胀、呕吐", "bowel_obstruction", "red", False),
    # reactions and metabolic
    (
        "During the paclitaxel infusion her lips swelled and she was wheezy",
        "anaphylaxis",
        "red",
        False,
    ),
    ("Potassium 6.7 after starting treatment", "tumour_lysis", "red", False),
    ("血钾6.8mmol/L", "tumour_lysis", "red", False),
    # mind
    ("He is thinking of ending his life", "suicidal", "red", False),
    ("我不想活了", "suicidal", "red", False),
    ("I feel so low and can't cope", "low_mood", "amber", False),
    # other UKONS problems
    ("Pain 10/10, the morphine is not touching it", "pain", "red", False),
    ("Can't pass urine since last night", "urinary", "red", False),
    ("Mouth ulcers so bad she can't eat or drink, on capecitabine", "mucositis", "red", False),
    ("The cannula site where the chemo went in is red and swollen", "extravasation", "red", False),
    ("Sudden loss of vision in his left eye", "eye", "red", False),
    ("Platelets 32 on chemo", "low_counts", "amber", False),
    ("Hasn't opened her bowels for four days", "constipation_amber", "amber", False),
    # every flag in Chinese too, and the rest of the amber ones
    ("皮肤花斑，尿量减少，血压下降", "sepsis", "red", False),
    ("化疗后血小板 30×10^9/L", "low_counts", "amber", True),
    ("He is short of breath at rest and can't speak in full sentences", "breathing", "red", False),
    ("今天突然呼吸困难，喘不上气", "breathing", "red", False),
    ("左侧小腿肿痛两天", "vte", "red", False),
    ("脑转移，头痛伴喷射性呕吐", "raised_icp", "red", False),
    ("CAR-T回输后第5天，发热39℃，血压低", "crs_icans", "red", False),
    ("面颈部肿胀，颈静脉怒张，气促", "svco", "red", False),
    ("血钙 3.3 mmol/L，口渴，嗜睡", "hypercalcaemia", "red", False),
    ("校正血钙2.8mmol/L", "calcium_amber", "amber", False),
    ("化疗后今天腹泻5次，能喝水", "sact_gi_amber", "amber", False),
    ("帕博利珠单抗治疗中，腹泻每天5次", "immune_colitis", "red", False),
    ("输注紫杉醇时嘴唇肿，喉头发紧，过敏性休克", "anaphylaxis", "red", False),
    ("Hyperkalaemia on the morning bloods", "hyperkalaemia", "red", False),
    ("高钾血症", "hyperkalaemia", "red", False),
    # a raised urate on starting treatment (Cairo-Bishop laboratory criterion, BSH 2015)
    ("Day 3 of venetoclax ramp-up, urate 0.52 mmol/L, feels fine", "tls_amber", "amber", True),
    ("开始化疗第3天，血尿酸510μmol/L，没有不舒服", "tls_amber", "amber", True),
    ("腰痛剧痛，疼痛难忍，止痛药无效", "pain", "red", False),
    ("昨晚开始排不出尿，小腹胀", "urinary", "red", False),
    ("化疗后口腔溃疡，不能进食", "mucositis", "red", False),
    ("Blistering rash all over with peeling skin", "rash", "red", False),
    ("全身皮疹伴大疱，皮肤剥脱", "rash", "red", False),
    ("化疗输液的穿刺点红肿疼痛", "extravasation", "red", False),
    ("突然视物不清，一只眼看不见", "eye", "red", False),
    ("On docetaxel, burning when passing urine", "infection_amber", "amber", False),
    ("化疗中，尿痛", "infection_amber", "amber", False),
    ("我最近情绪低落，很抑郁", "low_mood", "amber", False),
    ("On nivolumab, new dry cough this week", "pneumonitis_amber", "amber", False),
    ("纳武利尤单抗治疗中，新出现咳嗽", "pneumonitis_amber", "amber", False),
    ("便秘四天了", "constipation_amber", "amber", False),
    (
        "His usual painkillers are not enough and the pain is getting worse",
        "pain_amber",
        "amber",
        False,
    ),
    ("疼痛加重，止痛效果不好", "pain_amber", "amber", False),
    ("Itchy rash on her arms since starting pembrolizumab", "rash_amber", "amber", False),
    ("信迪利单抗治疗后皮疹瘙痒", "rash_amber", "amber", False),
    ("On cetuximab, sore red eye since yesterday", "eye_amber", "amber", False),
    ("化疗期间眼睛红痛", "eye_amber", "amber", False),
    ("Sore mouth on capecitabine but still eating soft food", "mucositis_amber", "amber", False),
    ("化疗后嘴里长了溃疡，还能吃稀饭", "mucositis_amber", "amber", False),
    # immunotherapy organs and the other UKONS red problems
    ("On nivolumab, the whites of his eyes have gone yellow", "hepatitis", "red", False),
    ("PD-1治疗中，皮肤发黄，尿像浓茶", "hepatitis", "red", False),
    ("ALT 450 U/L on pembrolizumab", "hepatitis", "red", False),
    ("Her skin looks yellow", "jaundice_amber", "amber", False),
    ("眼睛发黄", "jaundice_amber", "amber", False),
    (
        "On ipilimumab and nivolumab: headache and my eyesight is blurry",
        "endocrine_io",
        "red",
        False,
    ),
    ("帕博利珠单抗治疗中，头痛伴视物模糊、乏力", "endocrine_io", "red", False),
    ("Pembrolizumab last week and now a new headache", "headache_io_amber", "amber", False),
    ("免疫治疗中，新出现头痛", "headache_io_amber", "amber", False),
    ("Heart racing and breathless since this morning", "heart_muscle", "red", False),
    ("心慌、胸闷，头晕", "heart_muscle", "red", False),
    ("Some palpitations this evening", "palpitations_amber", "amber", False),
    ("今天有点心悸", "palpitations_amber", "amber", False),
    ("Very thirsty and weeing loads, blood sugar 25", "hyperglycaemia", "red", False),
    ("血糖 28 mmol/L，口渴", "hyperglycaemia", "red", False),
    ("Na 121 on the bloods today", "hyponatraemia", "red", False),
    ("血钠 120 mmol/L", "hyponatraemia", "red", False),
    ("He can't swallow his own spit", "dysphagia", "red", False),
    ("喝水都咽不下去", "dysphagia", "red", False),
    ("On oxaliplatin: numb fingers, can't do up buttons", "neuropathy_amber", "amber", False),
    ("化疗后手脚麻木，扣不了扣子", "neuropathy_amber", "amber", False),
    ("On capecitabine, my hands are red and blistered", "rash", "red", False),
    # numbers in other forms, UKONS thresholds, grades
    ("Temp 35.5 on FOLFOX", "neutropenic_sepsis", "red", False),
    ("化疗后体温37度8", "neutropenic_sepsis", "red", False),
    ("The thermometer says 38.4", "neutropenic_sepsis", "red", True),
    ("Grade 3 diarrhoea on capecitabine", "sact_gi", "red", False),
    ("化疗后拉了十几次", "sact_gi", "red", False),
    ("On apixaban and his nose has been bleeding for an hour", "bleeding", "red", False),
    (
        "Me dad's not managed a wee all day and says his legs feel like jelly, cancer in his spine",
        "mscc",
        "red",
        False,
    ),
    ("Irinotecan: diarrhoea 7 a day, lightheaded", "sact_gi", "red", False),
    ("Dad had his CAR T cells last week and now has a temp of 38.6", "crs_icans", "red", False),
    (
        "If your opinion is bad news too then I don't want to be here anymore, I know how I'd do it",
        "suicidal",
        "red",
        False,
    ),
    (
        "Should we wait for your opinion before going to hospital, because his legs went weak "
        "this morning? He has prostate cancer in the bones.",
        "mscc",
        "red",
        False,
    ),
    ("He still has a PICC line and gets rigors after every flush", "sepsis", "red", False),
    ("Bony mets; her legs just folded under her on the stairs this morning", "mscc", "red", False),
    (
        "Cycle 3 docetaxel, feels rotten and can't get off the settee",
        "neutropenic_sepsis",
        "red",
        False,
    ),
    ("Mum's smile has gone lopsided since breakfast", "stroke", "red", False),
    (
        "Caller's wife has mesothelioma and is fighting for breath at rest",
        "breathing",
        "red",
        False,
    ),
    ("Heavy PV bleeding, soaking a pad every 20 minutes", "bleeding", "red", False),
    (
        "He has a biliary stent and since this afternoon has rigors and is yellow again",
        "sepsis",
        "red",
        False,
    ),
    ("胆管癌放了支架，今天高烧39.5，全身发抖", "sepsis", "red", False),
    ("On nivolumab: stool frequency 6 above baseline", "immune_colitis", "red", False),
    (
        "Since the step-up dose of teclistamab her handwriting has gone spidery",
        "crs_icans",
        "red",
        False,
    ),
    (
        "She is drinking jugs of water and is so dozy she can't follow the news; breast cancer",
        "hypercalcaemia",
        "red",
        False,
    ),
    ("双免治疗后皮肤和眼睛都发黄了", "hepatitis", "red", False),
    ("Double vision since yesterday and now his chin is numb", "neuro", "red", False),
    (
        "Pt rang 02:10 feeling awful, advised A&E, ambulance called",
        "sent_for_urgent_care",
        "red",
        False,
    ),
    ("电话随访：患者诉胸闷，已嘱立即急诊就诊", "sent_for_urgent_care", "red", False),
    ("不想活了，安眠药我都攒好了", "suicidal", "red", False),
    ("Since the docetaxel she is too weak to get out of bed", "fatigue", "red", False),
    ("化疗后这两天卧床不起", "fatigue", "red", False),
    (
        "On pembrolizumab; the tiredness has got worse and I can't manage the housework",
        "fatigue_amber",
        "amber",
        False,
    ),
    ("化疗期间越来越乏力，家务都做不了了", "fatigue_amber", "amber", False),
    (
        "On FOLFOX, new tingling in my fingertips after each cycle",
        "neuropathy_amber",
        "amber",
        False,
    ),
    # a value read through where it came from, a record flattened into one line
    ("The GP rang: his potassium on yesterday's bloods was 6.4", "tumour_lysis", "red", False),
    ("PMH: AF, CKD 3a. A: RR 26, BP 88/52, NEWS2 9", "sepsis", "red", False),
    ("既往史：高血压。今日双下肢无力，走不了路，乳腺癌骨转移", "mscc", "red", False),
    # an aside that is history does not make what follows history
    (
        "mum (ovarian cancer, finished chemo in the summer): no poo or wind since Friday, tummy swollen, bringing up green stuff",
        "bowel_obstruction",
        "red",
        False,
    ),
    (
        "adjusted calcium 2.78 mmol/L (ref 2.20-2.60), 2.52 a month ago",
        "calcium_amber",
        "amber",
        False,
    ),
    ("He's had enough and is going to take all his morphine at once", "suicidal", "red", False),
    ("我已经想好怎么结束了，这周末家里没人", "suicidal", "red", False),
    # patients' own words: scores, spellings, swelling, weakness said in Chinese
    ("Mum's tummy pain is now 10/10 and the new patches aren't touching it", "pain", "red", False),
    ("骨转移，髋部疼得厉害，吗啡水都压不住", "pain", "red", False),
    (
        "On docetaxel, the thermometer keeps saying 35.6 and she is shivering",
        "neutropenic_sepsis",
        "red",
        False,
    ),
    (
        "She had the chemo drip a week ago and today has a temper chair of 37.9",
        "neutropenic_sepsis",
        "red",
        False,
    ),
    (
        "Her face and neck have been puffing up, her collar is too tight and she is breathless",
        "svco",
        "red",
        False,
    ),
    ("这几天脸和脖子越来越肿，衬衫领子扣不上了，胸前的血管鼓起来", "svco", "red", False),
    ("前列腺癌骨转移，从周三开始腿没力气，走路拖着，昨天还拉在裤子里了", "mscc", "red", False),
    ("She hasn't been able to walk since Tuesday; she has spinal mets", "mscc", "red", False),
    ("胸水又多了，现在憋得不行了，坐着不动也喘", "breathing", "red", False),
    ("刚才半边脸和手抖了好几分钟，然后说不了话", "neuro", "red", False),
    ("化疗后嘴巴烂了几个口子，吃东西有点疼", "mucositis_amber", "amber", False),
    ("Acne-like spots on his face and chest since cetuximab", "rash_amber", "amber", False),
    ("这几天皮肤和眼睛越来越黄，小便茶色，大便发白", "jaundice_amber", "amber", False),
    # indirect wording of an enquiry form
    (
        "Over the past few days his face and neck have gone puffy and his collar won't do up; he is breathless",
        "svco",
        "red",
        False,
    ),
    (
        "On durvalumab: more breathless every day, can't manage the stairs that he climbed fine last month",
        "breathing",
        "red",
        False,
    ),
    ("In the past 24 hours she has had diarrhoea 9 times since the chemo", "sact_gi", "red", False),
    (
        "Her right hand and face keep twitching in episodes and she can't speak while it happens",
        "neuro",
        "red",
        False,
    ),
    ("老公肺癌脑转移，今晚突然抽起来，眼睛往上翻，现在叫不太醒", "neuro", "red", False),
    (
        "He hasn't been able to pass water since last night and only dribbles",
        "urinary",
        "red",
        False,
    ),
    ("CAR-T回输后第六天，写自己名字都写错，说话颠三倒四", "crs_icans", "red", False),
    ("第二疗程以后特别累，家务做不动了，买菜也去不了", "fatigue_amber", "amber", False),
    ("上次化疗后嘴里起了几个溃疡，疼，但还能吃稀饭", "mucositis_amber", "amber", False),
    # a voice message transcribed with pauses for punctuation
    (
        "王老师 我爸前列腺癌骨转移 这两天说脚杆软 走路像踩棉花 背倒是不痛 大便也有点屙不出",
        "mscc",
        "red",
        False,
    ),
    ("我老婆脑转移 今天下午右手一直抽 一阵一阵的 抽了好几次了", "neuro", "red", False),
    ("我妈这两天人昏沉沉的 叫醒了说话颠三倒四 认不得我 以前人很清楚的", "neuro", "red", False),
    (
        "我妈昨天打的表柔比星 回来发现打针那个地方手背肿起来了 红 痛 起了小水泡",
        "extravasation",
        "red",
        False,
    ),
    ("我打了两次奥沙利铂 最近手指头有点麻 碰冷水更明显", "neuropathy_amber", "amber", False),
    (
        "Since this cycle of docetaxel he gets so tired he has to stop halfway through the washing up",
        "fatigue_amber",
        "amber",
        False,
    ),
    # a Chinese record machine-translated into English
    (
        "Patient suddenly appear right side limbs weakness and speech unclear 1 hour, mouth angle deviation",
        "stroke",
        "red",
        False,
    ),
    (
        "Patient colon cancer, abdominal distension and pain 2 days, stop passing gas and stool, vomiting",
        "bowel_obstruction",
        "red",
        False,
    ),
    (
        "Patient rectal cancer, 12 hours no urination, lower abdomen bulge and pain",
        "urinary",
        "red",
        False,
    ),
    (
        "Patient on chemotherapy, today appear consciousness blurred, call no response",
        "neuro",
        "red",
        False,
    ),
    ("我爸十几个小时没尿了，小肚子鼓鼓的硬硬的，他是前列腺癌", "urinary", "red", False),
    ("我奶奶肺癌，今天咳了好几口鲜血", "bleeding", "red", False),
    ("我老婆在化疗（顺铂），左边小腿这两天又肿又红又烫，比右边粗了三公分", "vte", "red", False),
    # a question about what is happening now is no general question
    ("请问我爸化疗后发烧39度怎么办？", "neutropenic_sepsis", "red", False),
    # NG234: spinal pain suggestive of metastases in known spinal disease, without a deficit
    (
        "Myeloma. Pain in the middle of his back for a week, worse when he coughs, wakes him at night",
        "spinal_pain_amber",
        "amber",
        False,
    ),
    ("腰椎转移的老病人，这周腰痛越来越重，晚上痛醒", "spinal_pain_amber", "amber", False),
    (
        "Known spinal mets, now needs two carers to stand her, legs have gone weak",
        "mscc",
        "red",
        False,
    ),
    # moderate hyponatraemia (Society for Endocrinology 125-129 mmol/L)
    ("Sodium 127 (135-145) on Monday's bloods, feels fine", "hyponatraemia_amber", "amber", False),
    ("血钠 128 mmol/L（137-147）", "hyponatraemia_amber", "amber", False),
    # NEWS2 aggregate of 5 or more from the observations written (RCP 2017, NICE NG51)
    ("Obs at home: T 38.4, HR 115, BP 104/70, RR 23", "sepsis", "red", False),
    ("上门测：体温38.3℃，心率120次/分，血压102/64mmHg，呼吸23次/分", "sepsis", "red", False),
    # a temperature said in words, as a voice transcript writes it
    ("化疗第八天 刚量了一下三十八度五 浑身发抖", "neutropenic_sepsis", "red", True),
    ("在吃替吉奥，今天发烧了", "neutropenic_sepsis", "red", False),
    ("靶向治疗中，在家用指脉氧测了只有89%", "breathing", "red", False),
    # bruising or a petechial rash with bleeding: signs of a very low platelet count
    (
        "On chemo: bruises on both arms she can't explain and her gums bleed",
        "bleeding",
        "red",
        True,
    ),
    ("化疗后身上出血点很多，刷牙牙龈出血", "bleeding", "red", True),
    ("她把安眠药攒了一盒，说不想活了", "suicidal", "red", False),
    # set 17 round: exertional breathlessness, thyroid, hypoglycaemia, leucostasis
    (
        "On carboplatin: getting breathless on exertion, stairs are harder",
        "breathless_amber",
        "amber",
        False,
    ),
    ("在化疗，这周爬三楼就喘，得停下来歇", "breathless_amber", "amber", False),
    (
        "Pembrolizumab since spring: exhausted and I feel the cold all the time, put on 4 kg",
        "thyroid_io_amber",
        "amber",
        False,
    ),
    ("用PD-1半年了，最近特别乏力，怕冷，体重增加了三公斤", "thyroid_io_amber", "amber", False),
    (
        "On dexamethasone and gliclazide, sugar 2.6 this morning and sweaty",
        "hypoglycaemia",
        "red",
        False,
    ),
    ("指尖血糖2.5，出冷汗", "hypoglycaemia", "red", False),
    ("BM 3.6 before lunch, had a biscuit", "hypoglycaemia_amber", "amber", False),
    ("早上血糖3.5，手抖出汗", "hypoglycaemia_amber", "amber", False),
    ("New AML, WBC 180 today, headache and blurred vision", "leucostasis", "red", False),
    ("慢粒白血病，阴茎异常勃起已经三个小时，很痛", "leucostasis", "red", False),
    (
        "Myeloma: since yesterday he won't weight bear and has been wet through twice",
        "mscc",
        "red",
        False,
    ),
    ("我阿爸有脑瘤，啱啱成个人抽筋，眼反白，叫佢唔应", "neuro", "red", False),
    # set 18 round
    (
        "On nivolumab: the meter says HI and his breath smells of pear drops",
        "hyperglycaemia",
        "red",
        False,
    ),
    ("打PD-1后口渴多尿，血糖仪显示HI，呼出的气有烂苹果味", "hyperglycaemia", "red", False),
    ("mum on chemo, ear one = 38.6, freezing cold", "neutropenic_sepsis", "red", False),
    ("奥沙利铂化疗中，手指持续麻木，系扣子困难", "neuropathy_amber", "amber", False),
    ("用了PD-1以后胳膊上起了红疹子，很痒", "rash_amber", "amber", False),
    # set 19 round: dialect and dictation
    (
        "his nose has been bleeding for forty minutes non stop, platelets low",
        "bleeding",
        "red",
        False,
    ),
    ("我老汉肺癌转到骨头了，这两天脚杆没得力气，站都站不稳", "mscc", "red", False),
    ("我爸脑转移，脑壳痛得越来越凶，早上都吐了", "raised_icp", "red", False),
    (
        "She said she'd jump from the balcony tonight, she has written a suicide note",
        "suicidal",
        "red",
        False,
    ),
    ("妈妈说等爸爸睡着就从阳台跳下去，遗书都写好了", "suicidal", "red", False),
    ("I have not been able to pass my water since teatime, tummy swollen", "urinary", "red", False),
    ("在打信迪利单抗，这两天拉稀十来次", "immune_colitis", "red", False),
    # set 20 round: Traditional characters, Cantonese likenesses, counts, trials, line sites
    ("外婆肺癌化療第八天，今晚發燒38.6度，一直發抖", "neutropenic_sepsis", "red", False),
    ("爸爸大腸癌，今日血壓得82/48，手腳冰冷", "sepsis", "red", False),
    ("老豆化疗后第九日，今朝屙咗啲黑色嘅屎，好似沥青咁", "bleeding", "red", False),
    ("化疗后第五天，今天拉了十来次水样便，站起来就晕", "sact_gi", "red", False),
    ("R-CHOP第一周期后第二天，尿量明显减少", "tumour_lysis", "red", False),
    ("Study tablets since Monday; diarrhoea six times today", "sact_gi_amber", "amber", False),
    ("卡培他滨第二周期，这几天大便比平时多两次", "sact_gi_amber", "amber", False),
    ("On sunitinib. TSH from last week's bloods 14", "thyroid_io_amber", "amber", False),
    ("舒尼替尼治疗中，促甲状腺激素 25，很怕冷", "thyroid_io_amber", "amber", False),
    ("Not been since Tuesday and my tummy feels swollen", "constipation_amber", "amber", False),
    (
        "On oxaliplatin; fingers numb and I drop things when I cook",
        "neuropathy_amber",
        "amber",
        False,
    ),
    ("Temp 38.2 and shivering, she has a PICC", "sepsis", "red", False),
    ("PICC site looks a bit red today", "infection_amber", "amber", False),
    ("媽媽的人工血管旁邊今天有點紅腫", "infection_amber", "amber", False),
    (
        "Sorry to bother you, my husband has a temperature of 38.5 on chemo",
        "neutropenic_sepsis",
        "red",
        False,
    ),
    (
        "Our dog is with my sister this week. She has been vomiting since her chemo and feels dizzy",
        "sact_gi",
        "red",
        False,
    ),
    (
        "After the counselling for capecitabine last week, she now has diarrhoea 8 times a day",
        "sact_gi",
        "red",
        False,
    ),
    ("护士说我妈发烧39度要马上去急诊", "neutropenic_sepsis", "red", True),
    (
        "The rash from the cetuximab has not calmed down at all and is weeping",
        "rash_amber",
        "amber",
        False,
    ),
    (
        "We watched him last night: shaking and a temperature of 39 after his chemo",
        "neutropenic_sepsis",
        "red",
        False,
    ),
    ("Says he has been saving up his sleeping tablets", "suicidal", "red", False),
]

# (text, look-alike kind, on treatment)
QUIET = [
    ("No fever, no chest pain, no shortness of breath", "negated", True),
    ("Denies any bleeding. No black stools.", "negated", False),
    ("否认胸痛、咯血，无发热", "negated", True),
    ("Had a PE in 2019, on apixaban, well now", "historical", False),
    ("Previous episode of neutropenic sepsis in 2021", "historical", True),
    ("既往2018年曾有肺栓塞病史", "historical", False),
    ("The diarrhoea has settled, now once a day", "resolved", True),
    ("Fever resolved with antibiotics last week", "resolved", True),
    ("腹泻已好转", "resolved", True),
    ("Mother died of a stroke", "family", False),
    ("Family history: father had a DVT", "family", False),
    ("家族史：母亲曾患脑卒中", "family", False),
    ("Call us if you get a temperature over 38", "hypothetical", True),
    ("She knows to ring the helpline should she develop chest pain", "hypothetical", True),
    ("如出现发热请及时就诊", "hypothetical", True),
    ("Signs of spinal cord compression include back pain and leg weakness.", "leaflet", False),
    (
        "Patient information\nSymptoms to look out for:\n- a temperature of 38 or above\n- bleeding gums",
        "leaflet",
        True,
    ),
    ("健康宣教：如有黑便、呕血应立即就诊", "leaflet", False),
    (
        "Possible side effects include neutropenic sepsis, diarrhoea and vomiting.",
        "counselling",
        True,
    ),
    ("We discussed the risks, including bleeding and blood clots.", "counselling", False),
    ("告知可能的不良反应包括发热、腹泻", "counselling", True),
    ("Temperature 36.8, sats 97% on air", "normal_value", True),
    ("Potassium 4.2 (3.5-5.3), calcium 2.41", "normal_value", False),
    ("血小板计数 210×10^9/L，体温36.5℃", "normal_value", True),
    ("If there is progression we will consider radiotherapy to the spine", "plan", False),
    ("Plan: MRI spine to exclude cord compression if symptoms change", "plan", False),
    ("如病情进展，拟行脊柱放疗", "plan", False),
    (
        "My friend from the support group can't walk since her cancer spread to her spine",
        "other_person",
        False,
    ),
    ("隔壁床的病人昨晚咯血了，我自己没事", "other_person", False),
    ("What are the signs of sepsis? I just want to know in advance.", "question", True),
    ("请问化疗后发烧正常吗？我现在没有发烧，想提前了解一下。", "question", True),
    ("Long-standing grade 1 neuropathy, unchanged", "chronic_stable", True),
    ("Chronic back pain for years, stable", "chronic_stable", False),
    ("长期腰痛多年，稳定无变化", "chronic_stable", False),
    ("Allergies: penicillin (rash)", "history_line", True),
    (
        "Mum was in hospital in September with a clot in her leg, back to normal now",
        "historical",
        False,
    ),
    ("Plan: premedicate before paclitaxel; anaphylaxis kit at the bedside", "plan", True),
    ("MSCC Coordinator Note\nMRI: no cord compression. MSCC excluded.", "plan", False),
    ("Discussed VTE risk with cisplatin; LMWH teaching given", "counselling", True),
    ("与患者讨论贝伐珠单抗的出血和血栓风险", "counselling", True),
    (
        "My little boy has a temp of 38.5 with a cold; should I keep away while I'm on chemo?",
        "other_person",
        True,
    ),
    ("上周拉肚子一天五六次，吃了易蒙停已经好了，现在每天一次", "resolved", True),
    ("Would immunotherapy make a stroke or a blood clot more likely for her?", "question", False),
    ("我老公（不是病人）前天胸痛，已经看过了", "other_person", False),
    ("The rash from the immunotherapy cleared completely with the cream", "resolved", True),
    (
        "A friend from my support group is coughing up blood; I told her to ring her team",
        "other_person",
        False,
    ),
    (
        "Talked him through the symptoms of cord compression and gave an alert card",
        "counselling",
        False,
    ),
    ("Asked directly about chest pain, breathlessness and leg swelling - none", "negated", False),
    ("我舅舅胃癌大出血走的，我特别怕自己也这样", "family", False),
    ("That headache on Monday has completely gone after a good sleep", "resolved", False),
    ("我们小区有个阿姨用了PD-1以后得了心肌炎", "other_person", False),
    (
        "They warned us he might get a fever or become confused once the CAR-T cells go in",
        "hypothetical",
        False,
    ),
    ("Advised to attend A&E if he coughs up blood or becomes breathless", "hypothetical", False),
    ("化疗期间能不能坐飞机，会不会得血栓？", "question", True),
    # words that look like an emergency and are something else
    ("We are confused about the treatment options", "other_meaning", False),
    ("PICC line was fitted on Monday; T6 vertebral collapse on the MRI", "other_meaning", True),
    ("Ca prostate, Gleason 3+4; lung Ca 3.2 cm", "other_meaning", False),
    ("PE: chest clear. 科室：呼吸内科 床号：30", "other_meaning", False),
    ("T cells 40%. Dose reduced by 20%", "other_meaning", True),
    ("My arm is sore after the flu jab; I'm sick of these headaches", "other_meaning", False),
    ("Carries an EpiPen for a nut allergy", "other_meaning", False),
    ("化疗后浑身没劲，手发抖；中性粒细胞百分比 0.45；肺大疱", "other_meaning", True),
    # 不 before a symptom negates it
    ("现在不咳嗽、不喘、不发烧、不胸痛，吃饭睡觉都好", "negated", True),
    # a later reading of the same test supersedes an earlier one
    (
        "K+ 6.1 on yesterday's sample, haemolysed. Repeat this morning: K+ 4.6 mmol/L",
        "superseded",
        True,
    ),
    ("昨日血钾6.2mmol/L，标本溶血；今晨复查血钾4.5mmol/L", "superseded", True),
    # a finding said to be normal, a thing being checked
    (
        "Day 28 after CAR-T: ICE score 10/10 today, handwriting normal. Seizure-free",
        "normal_value",
        True,
    ),
    ("CAR-T回输后：书写正常，言语流利", "normal_value", True),
    ("Carer to check temperature twice daily after the CAR-T infusion", "counselling", True),
    # a general question about a condition
    ("想问细胞因子释放综合征一般在回输后多久出现？", "question", True),
    ("I'd like to ask how soon ICANS can happen after CAR-T?", "question", True),
    # dated in the past by a day and month, or part of a month
    (
        "After cycle 4 (given 20 October) she had the runs, 6 times a day, for two days",
        "historical",
        True,
    ),
    ("I was very breathless in early October from fluid on my lung", "historical", False),
    # resolved after a contrast, or clauses later in Chinese
    ("Constipated for 4 days after cycle 1, but the lactulose sorted it out", "resolved", True),
    ("上周拉肚子，一天4次左右，吃了洛哌丁胺后就好了", "resolved", True),
    # other people: in-laws, a relative said not to have cancer, 其丈夫
    ("My mother-in-law was diagnosed with a clot in her leg", "other_person", False),
    ("My dad (he doesn't have cancer) had chest pain in the car", "other_person", False),
    ("患者来电咨询其丈夫发热38.5℃该如何处理", "other_person", True),
    # "hasn't" straight before a symptom, a form's answers, prevention, quotations
    ("He hasn't coughed up any blood, his phlegm is just white", "negated", False),
    ("To answer your form: breathlessness - no; chest pain - no; fever - no", "negated", True),
    ("表格回答：气短-没有；胸痛-没有；发烧-没有", "negated", True),
    ("计划放疗前先吃地塞米松防止脑水肿，他现在没有任何症状", "plan", False),
    ("Dexamethasone is given to prevent brain swelling during radiotherapy", "plan", False),
    ("CAR-T的单子上写'发烧、糊涂、发抖、说话困难——马上联系我们'，我们贴冰箱上了", "leaflet", True),
    (
        "The CAR-T sheet says 'fever, confusion, shaking - call us at once'; his infusion is next month",
        "leaflet",
        True,
    ),
    ("护士讲了伊匹木单抗的副作用：拉肚子、皮疹、肝脏发炎。她还没开始打", "counselling", True),
    ("脊髓压迫一般发展得有多快？只是看资料好奇问问", "question", False),
    (
        "Please ignore the bit about vomiting in my last message - that was our toddler, not my husband",
        "other_person",
        True,
    ),
    ("之前说的吐了好几回是我家小孩肠胃炎，不是我老公", "other_person", True),
    (
        "Mum had a temperature of 38.4 on the 10th of October after her last chemo; fine since",
        "historical",
        True,
    ),
    ("His mouth ulcers from the first cycle have completely healed", "resolved", True),
    ("Could the brain metastases cause seizures in future?", "question", False),
    ("PICC护理单上写：注意管子周围有没有红、肿、痛，或者发烧", "leaflet", True),
    (
        "那张免疫治疗的卡片上写 腹泻每天超过4次 咳嗽 气短 皮疹 黄疸 要及时告诉医生 我老公在打PD-1",
        "leaflet",
        True,
    ),
    (
        "我爸的病友 也是前列腺癌 上个月突然腿不能动了 说是脊髓压迫 我爸现在走路好好的",
        "other_person",
        False,
    ),
    (
        "药剂师说卡培他滨吃了手脚可能会红 脱皮 拉肚子的话要停药打电话 我妈下个月开始吃",
        "counselling",
        True,
    ),
    ("我老公CAR-T已经过了三个月了 没有发烧 说话写字都正常", "normal_value", True),
    ("我外婆礼拜一尿路感染有点糊涂，现在完全清醒了", "resolved", False),
    ("现在不喘不胸痛，腿也不肿", "negated", True),
    # education copied from a poster or training
    (
        "Copied from the FAST poster: has their face fallen on one side? Is speech slurred?",
        "leaflet",
        True,
    ),
    ("出院宣教：讲解CAR-T回输后注意事项，如出现发热、写字困难应立即返院", "leaflet", True),
    # general questions about a threshold, discharge instructions, forwarded articles
    ("请问化疗后体温到多少度要去急诊？", "question", True),
    ("At what temperature should I ring the hotline after chemo?", "question", True),
    ("免疫治疗出院指导：出现腹泻、咳嗽气短、皮疹请及时就诊。", "leaflet", True),
    ("[转发文章] 化疗后出现以下情况要马上去医院：发热、出血、呕吐不止", "leaflet", True),
    (
        "Told his wife: should he get a temperature or start shivering, ring 111 at once",
        "hypothetical",
        True,
    ),
    ("Allergy list updated: co-amoxiclav 2019 - anaphylaxis, not given since", "historical", False),
    # fiction, pets, figures of speech, childhood, Cantonese negation, service names
    ("Watching a drama where a character on chemo gets a fever and rigors", "other_person", True),
    ("小说里主人公化疗后高烧寒战，写得太真实了", "other_person", True),
    ("Our cat had a seizure this morning, she's at the vet's now", "other_person", False),
    ("家里的狗狗今天一直吐，带去宠物医院了", "other_person", True),
    ("Nearly had a heart attack at the parking charges!", "figure_of_speech", False),
    ("看到停车费，我差点心梗", "figure_of_speech", False),
    ("When I was 12 I had neutropenic sepsis; I'm 25 now and well", "historical", False),
    ("小时候化疗时得过败血症，现在很好", "historical", False),
    ("佢今日冇发烧，冇呕，食咗饭", "negated", True),
    ("Referred on the MSCC pathway for an MRI; mobilising normally, no neuro signs", "plan", False),
    ("出院医嘱：1.两周后复查；2.体温≥38℃请及时就诊", "plan", True),
    # questionnaires answered no, replies explaining in general, a treated writer's relative
    (
        "Symptom check: Temperature over 37.5? N. Shivers? N. New pain? N.",
        "questionnaire_none",
        True,
    ),
    ("随访问卷：腹泻□有 ☑无；咳嗽气促□有 ☑无；发热□有 ☑无", "questionnaire_none", True),
    ("PHQ-9 item 9 (better off dead or hurting yourself): Not at all", "questionnaire_none", False),
    ("症状自评：腹泻频率：从不", "questionnaire_none", True),
    (
        "Consultant's reply: in general, fever or rigors after chemo matter because counts are low",
        "doctor_reply",
        True,
    ),
    ("【医生回复】免疫治疗的不良反应可以累及全身：腹泻、咳嗽气短、皮肤发黄", "doctor_reply", True),
    (
        "My sister was rushed in with chest pain last night. I'm fine myself on my chemo",
        "family",
        False,
    ),
    ("我闺女发烧39度，我下礼拜化疗，要不要躲着她", "family", False),
    ("这个报销流程把我折腾得要吐血了", "figure_of_speech", False),
    ("MI query: can she take citalopram with osimertinib?", "question", True),
    # a line site with its signs denied is no finding; written advice given is education
    ("社区护士随访：PICC穿刺点干燥无红肿", "negated", True),
    ("PICC site clean, not red, not swollen, no pain", "negated", True),
    (
        "Given our clinic's written advice on neutropenic fever; she is well and afebrile",
        "leaflet",
        True,
    ),
    ("社区宣传栏抄下来的：出现口角歪斜、言语不清立即拨打120", "leaflet", True),
    # set 20 round
    ("我媽媽化療後一切都好，沒有發燒，體溫36.5", "negated", True),
    ("黑色素瘤术后，大便正常", "normal_value", True),
    ("Study tablets since Monday; bowels open once today as usual", "normal_value", False),
    ("On sunitinib, TSH 3.2 (0.3-4.2)", "normal_value", False),
    ("Temp 36.8 this morning, Hickman line dressing changed", "normal_value", True),
    ("人工血管周围不红不肿，冲管通畅", "negated", True),
    ("刷到一个博主说她妈化疗后高烧住进ICU，我妈今天体温正常", "other_person", True),
    ("看了个纪录片，讲脊髓压迫的病人突然瘫痪了", "other_person", True),
    ("So sorry to hear about your husband's seizure last night", "other_person", True),
    (
        "Watched Holby on the telly last night, the young lad in it had neutropenic sepsis",
        "other_person",
        True,
    ),
    ("My cat is on chemo at the vet's. She has been vomiting all day.", "other_person", True),
    (
        "Counselling for capecitabine: diarrhoea may come on after a few days; call if 4 or more",
        "counselling",
        True,
    ),
    ("护士交代过发烧就要马上去急诊，现在一切都好", "counselling", True),
    ("The sore rash on my face from the panitumumab has calmed right down", "resolved", True),
    ("脑转移放疗后，头痛未再发作", "resolved", True),
    ("提前做做功课：化疗期间发烧38度要回医院吗？", "question", True),
    (
        "On oxaliplatin: fingers tingle with cold drinks, no numbness, doesn't drop things",
        "negated",
        True,
    ),
]


CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_flag_of_the_rules_is_tested_in_english_and_in_chinese() -> None:
    for flag in rules().flags:
        texts = [t for t, fid, _level, _on in RAISES if fid == flag.id]
        assert any(not CJK.search(t) for t in texts), f"{flag.id}: no English test"
        assert any(CJK.search(t) for t in texts), f"{flag.id}: no Chinese test"


def test_every_look_alike_kind_is_tested_in_english_and_in_chinese() -> None:
    kinds = {kind for _t, kind, _on in QUIET} - {"history_line"}  # (other_meaning: both)
    for kind in kinds:
        texts = [t for t, k, _on in QUIET if k == kind]
        assert any(not CJK.search(t) for t in texts) and any(CJK.search(t) for t in texts), kind


def test_every_flag_has_its_label_and_advice_in_chinese() -> None:
    from casebridge.engine.terminology import table

    for flag in rules().flags:
        for kind, english in (("safety", flag.label), ("safety_advice", flag.advice)):
            term = table().by_key(f"{kind}.{flag.id}")
            assert term is not None and term.en.split() == english.split(), (kind, flag.id)


def test_a_flag_says_which_rule_fired_on_which_words_and_its_guideline() -> None:
    (flag,) = screen_text("Corrected calcium 3.41 mmol/L", today=TODAY)
    assert flag.rule == "hypercalcaemia.corrected_calcium" and flag.level == "red"
    assert flag.phrase == "Corrected calcium 3.41 mmol/L" and "NICE" in flag.guideline
    assert "999" in flag.advice and flag.field == "message"


def test_an_amber_flag_on_the_words_of_a_red_one_is_not_listed_twice() -> None:
    found = flags("Known spinal mets. New back pain and her legs are weak since Tuesday")
    assert found == [("mscc", "red")]


def test_a_regimen_or_drug_of_the_knowledge_base_tells_the_screen_the_person_is_on_sact() -> None:
    for regimen in ("R-CHOP", "ABVD", "FOLFIRINOX", "carboplatin and paclitaxel", "卡培他滨"):
        assert ("neutropenic_sepsis", "red") in flags(f"On {regimen}. Temperature 38.3 tonight")
    assert flags("Temperature 38.3 tonight") == []  # not known to be on treatment


def test_a_value_inside_its_written_reference_range_never_flags() -> None:
    assert flags("Calcium 3.1 (2.2-3.2)") == []  # an odd lab's range: inside it
    assert ("hypercalcaemia", "red") in flags("Calcium 3.1 (2.2-2.6)")


def test_fahrenheit_and_per_microlitre_values_are_read_in_their_units() -> None:
    assert ("neutropenic_sepsis", "red") in flags("Temp 101F", on_treatment=True)
    assert flags("Temp 98.6F", on_treatment=True) == []
    assert ("bleeding", "red") in flags("Platelets 15,000/uL")


def test_a_number_that_belongs_to_something_else_is_no_value() -> None:
    assert flags("Breast carcinoma (NST), grade 3") == []
    assert flags("carboplatin AUC 5", on_treatment=True) == []
    assert flags("T2 N0 M0", on_treatment=True) == []


@pytest.mark.parametrize(("text", "flag_id", "level", "on_treatment"), RAISES)
def test_an_emergency_in_any_words_raises_its_flag(
    text: str, flag_id: str, level: str, on_treatment: bool
) -> None:
    assert (flag_id, level) in flags(text, on_treatment)


@pytest.mark.parametrize(("text", "kind", "on_treatment"), QUIET)
def test_a_look_alike_raises_nothing(text: str, kind: str, on_treatment: bool) -> None:
    assert flags(text, on_treatment) == []


def test_traditional_characters_are_read_as_simplified_and_quoted_as_written() -> None:
    found = screen_text("我爸爸化療第十天，發燒39度", on_treatment=True, today=TODAY)
    assert [(f.rule.split(".")[0], f.level) for f in found] == [("neutropenic_sepsis", "red")]
    assert found[0].phrase == "發燒"  # the words as the person wrote them


def test_the_traditional_map_leaves_every_simplified_phrase_as_it_is() -> None:
    from casebridge.engine import kb
    from casebridge.engine.terminology import simplified

    pairs = kb.load("traditional_zh")["pairs"]
    tokens = [t for group in pairs.values() for t in str(group).split()]
    assert all(len(t) == 2 and t[0] != t[1] for t in tokens), "two different characters each"
    assert len({t[0] for t in tokens}) == len(tokens), "each traditional character once"
    # a character the simplified rules or the terminology write would stop them matching
    for name in ("red_flags", "terminology_zh", "labs", "drugs"):
        text = (kb.KNOWLEDGE_DIR / f"{name}.yaml").read_text("utf-8")
        assert simplified(text) == text, name
